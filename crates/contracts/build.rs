//! Compiles every `.proto` under the workspace `proto/` directory in pure Rust:
//! `protox` parses them (well-known types such as `google/protobuf/timestamp.proto`
//! are bundled with it), `tonic-prost-build` generates messages, clients and servers.
//! No `protoc` is needed.

use std::error::Error;
use std::path::{Path, PathBuf};

const PROTO_ROOT: &str = "../../proto";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");

    let root = Path::new(PROTO_ROOT);
    let mut files = Vec::new();
    collect_protos(root, &mut files)?;
    files.sort();
    // Names relative to the include root, e.g. "simpleorder/order/v1/order.proto".
    let names: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(root).map(Path::to_path_buf))
        .collect::<Result<_, _>>()?;
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([root])?;
    compiler.include_source_info(true).include_imports(true);
    for name in &names {
        compiler.open_file(name).map_err(|e| format!("{e:?}"))?;
    }

    // Kept for gRPC reflection (see `contracts::FILE_DESCRIPTOR_SET`).
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("simpleorder_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .generate_default_stubs(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
