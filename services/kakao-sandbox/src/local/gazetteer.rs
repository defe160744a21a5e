//! A few real Seoul places, addresses and districts with their coordinates (WGS84, to about ten
//! metres), enough to play nearby search and address confirmation without Kakao.

use kakao::local::{AddressDocument, LotAddress, Place, RoadAddress};

const SUBWAY: (&str, &str, &str) = ("교통,수송 > 지하철,전철", "SW8", "지하철역");
const SIGHT: (&str, &str, &str) = ("여행 > 관광,명소", "AT4", "관광명소");
const OFFICE: (&str, &str, &str) = ("사회,공공기관 > 행정기관", "PO3", "공공기관");
const BUILDING: (&str, &str, &str) = ("부동산 > 빌딩", "", "");

struct Entry {
    id: &'static str,
    name: &'static str,
    /// (category name tail, group code, group name).
    kind: (&'static str, &'static str, &'static str),
    line: &'static str,
    lot: &'static str,
    road: &'static str,
    lng: f64,
    lat: f64,
}

const PLACES: &[Entry] = &[
    Entry {
        id: "21160803",
        name: "강남역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 강남구 역삼동 858",
        road: "서울 강남구 강남대로 지하 396",
        lng: 127.028_001,
        lat: 37.498_086,
    },
    Entry {
        id: "21160804",
        name: "역삼역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 강남구 역삼동 804",
        road: "서울 강남구 테헤란로 지하 156",
        lng: 127.036_456,
        lat: 37.500_622,
    },
    Entry {
        id: "21160805",
        name: "선릉역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 강남구 대치동 509",
        road: "서울 강남구 테헤란로 지하 340",
        lng: 127.048_951,
        lat: 37.504_503,
    },
    Entry {
        id: "21160806",
        name: "삼성역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 강남구 삼성동 172-66",
        road: "서울 강남구 테헤란로 지하 538",
        lng: 127.063_160,
        lat: 37.508_844,
    },
    Entry {
        id: "21160802",
        name: "교대역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 서초구 서초동 1685",
        road: "서울 서초구 서초대로 지하 294",
        lng: 127.014_667,
        lat: 37.493_415,
    },
    Entry {
        id: "21160615",
        name: "신논현역 9호선",
        kind: SUBWAY,
        line: "수도권9호선",
        lot: "서울 강남구 논현동 278",
        road: "서울 강남구 봉은사로 지하 102",
        lng: 127.025_087,
        lat: 37.504_598,
    },
    Entry {
        id: "21160622",
        name: "홍대입구역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 마포구 동교동 165",
        road: "서울 마포구 양화로 지하 160",
        lng: 126.924_191,
        lat: 37.557_527,
    },
    Entry {
        id: "21160621",
        name: "신촌역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 마포구 노고산동 31-12",
        road: "서울 마포구 신촌로 지하 90",
        lng: 126.936_893,
        lat: 37.555_134,
    },
    Entry {
        id: "21160570",
        name: "서울역 1호선",
        kind: SUBWAY,
        line: "수도권1호선",
        lot: "서울 중구 봉래동2가 122-21",
        road: "서울 중구 세종대로 지하 2",
        lng: 126.972_559,
        lat: 37.554_648,
    },
    Entry {
        id: "21160571",
        name: "시청역 1호선",
        kind: SUBWAY,
        line: "수도권1호선",
        lot: "서울 중구 정동 5-5",
        road: "서울 중구 세종대로 지하 101",
        lng: 126.977_041,
        lat: 37.565_715,
    },
    Entry {
        id: "21160572",
        name: "종각역 1호선",
        kind: SUBWAY,
        line: "수도권1호선",
        lot: "서울 종로구 종로1가 54",
        road: "서울 종로구 종로 지하 55",
        lng: 126.982_923,
        lat: 37.570_161,
    },
    Entry {
        id: "21160730",
        name: "광화문역 5호선",
        kind: SUBWAY,
        line: "수도권5호선",
        lot: "서울 종로구 세종로 76-1",
        road: "서울 종로구 세종대로 지하 172",
        lng: 126.976_883,
        lat: 37.571_026,
    },
    Entry {
        id: "21160640",
        name: "명동역 4호선",
        kind: SUBWAY,
        line: "수도권4호선",
        lot: "서울 중구 충무로2가 65-5",
        road: "서울 중구 퇴계로 지하 126",
        lng: 126.986_020,
        lat: 37.560_989,
    },
    Entry {
        id: "21160611",
        name: "잠실역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 송파구 신천동 7-18",
        road: "서울 송파구 올림픽로 지하 265",
        lng: 127.100_164,
        lat: 37.513_261,
    },
    Entry {
        id: "21160614",
        name: "건대입구역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 광진구 화양동 7-3",
        road: "서울 광진구 아차산로 지하 243",
        lng: 127.070_149,
        lat: 37.540_373,
    },
    Entry {
        id: "21160613",
        name: "성수역 2호선",
        kind: SUBWAY,
        line: "수도권2호선",
        lot: "서울 성동구 성수동2가 301-1",
        road: "서울 성동구 아차산로 지하 100",
        lng: 127.056_069,
        lat: 37.544_581,
    },
    Entry {
        id: "21160740",
        name: "여의도역 5호선",
        kind: SUBWAY,
        line: "수도권5호선",
        lot: "서울 영등포구 여의도동 35-1",
        road: "서울 영등포구 여의나루로 지하 40",
        lng: 126.924_357,
        lat: 37.521_624,
    },
    Entry {
        id: "8221411",
        name: "서울역",
        kind: SUBWAY,
        line: "",
        lot: "서울 용산구 동자동 43-205",
        road: "서울 용산구 한강대로 405",
        lng: 126.970_606,
        lat: 37.554_678,
    },
    Entry {
        id: "8200741",
        name: "서울특별시청",
        kind: OFFICE,
        line: "",
        lot: "서울 중구 태평로1가 31",
        road: "서울 중구 세종대로 110",
        lng: 126.978_388,
        lat: 37.566_610,
    },
    Entry {
        id: "8111285",
        name: "강남구청",
        kind: OFFICE,
        line: "",
        lot: "서울 강남구 삼성동 16-1",
        road: "서울 강남구 학동로 426",
        lng: 127.047_502,
        lat: 37.517_305,
    },
    Entry {
        id: "8111330",
        name: "마포구청",
        kind: OFFICE,
        line: "",
        lot: "서울 마포구 성산동 370",
        road: "서울 마포구 월드컵로 212",
        lng: 126.901_636,
        lat: 37.566_324,
    },
    Entry {
        id: "18557478",
        name: "경복궁",
        kind: SIGHT,
        line: "",
        lot: "서울 종로구 세종로 1-91",
        road: "서울 종로구 사직로 161",
        lng: 126.976_998,
        lat: 37.579_617,
    },
    Entry {
        id: "7941566",
        name: "롯데월드타워",
        kind: SIGHT,
        line: "",
        lot: "서울 송파구 신천동 29",
        road: "서울 송파구 올림픽로 300",
        lng: 127.102_549,
        lat: 37.512_546,
    },
    Entry {
        id: "8188539",
        name: "코엑스",
        kind: BUILDING,
        line: "",
        lot: "서울 강남구 삼성동 159",
        road: "서울 강남구 영동대로 513",
        lng: 127.059_028,
        lat: 37.511_271,
    },
    Entry {
        id: "11052577",
        name: "강남파이낸스센터",
        kind: BUILDING,
        line: "",
        lot: "서울 강남구 역삼동 737",
        road: "서울 강남구 테헤란로 152",
        lng: 127.036_324,
        lat: 37.500_175,
    },
    Entry {
        id: "7920463",
        name: "여의도공원",
        kind: SIGHT,
        line: "",
        lot: "서울 영등포구 여의도동 2",
        road: "서울 영등포구 여의공원로 68",
        lng: 126.922_571,
        lat: 37.525_477,
    },
];

/// Road addresses on their own (buildings without an entry above).
const ADDRESSES: &[(&str, &str, &str, f64, f64)] = &[
    // (road address, lot address, zone no, lng, lat)
    (
        "서울 강남구 강남대로 396",
        "서울 강남구 역삼동 858",
        "06232",
        127.027_610,
        37.497_942,
    ),
    (
        "서울 강남구 테헤란로 427",
        "서울 강남구 삼성동 143-40",
        "06159",
        127.050_960,
        37.506_490,
    ),
    (
        "서울 마포구 양화로 160",
        "서울 마포구 동교동 165",
        "04050",
        126.923_778,
        37.557_192,
    ),
];

/// Districts and a few dongs: (name, lng, lat).
const REGIONS: &[(&str, f64, f64)] = &[
    ("서울 강남구", 127.047_502, 37.517_305),
    ("서울 서초구", 127.032_598, 37.483_569),
    ("서울 마포구", 126.901_636, 37.566_324),
    ("서울 종로구", 126.979_189, 37.573_505),
    ("서울 중구", 126.997_602, 37.563_843),
    ("서울 송파구", 127.105_859, 37.514_543),
    ("서울 용산구", 126.990_479, 37.532_527),
    ("서울 영등포구", 126.896_228, 37.526_371),
    ("서울 성동구", 127.036_722, 37.563_428),
    ("서울 광진구", 127.082_294, 37.538_484),
    ("서울 강남구 역삼동", 127.033_331, 37.495_402),
    ("서울 마포구 서교동", 126.919_601, 37.555_306),
];

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Kakao writes 서울 where people write 서울특별시 or 서울시.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| match w {
            "서울특별시" | "서울시" => "서울".to_owned(),
            other => other.to_owned(),
        })
        .collect()
}

fn coordinate(value: f64) -> String {
    format!("{value:.6}")
}

/// Metres between two points (haversine; plenty for a city).
fn metres((lng1, lat1): (f64, f64), (lng2, lat2): (f64, f64)) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

fn place(e: &Entry, centre: Option<(f64, f64)>) -> Place {
    let (category, group_code, group_name) = e.kind;
    let category_name = if e.line.is_empty() {
        category.to_owned()
    } else {
        format!("{category} > {}", e.line)
    };
    Place {
        id: e.id.to_owned(),
        place_name: e.name.to_owned(),
        category_name,
        category_group_code: group_code.to_owned(),
        category_group_name: group_name.to_owned(),
        phone: String::new(),
        address_name: e.lot.to_owned(),
        road_address_name: e.road.to_owned(),
        x: coordinate(e.lng),
        y: coordinate(e.lat),
        place_url: format!("http://place.map.kakao.com/{}", e.id),
        distance: centre
            .map(|c| format!("{:.0}", metres(c, (e.lng, e.lat))))
            .unwrap_or_default(),
    }
}

/// Places whose name contains the query (spaces ignored), exact names first, then names that
/// start with it, then the rest, then places whose address contains it.
pub fn places(query: &str, centre: Option<(f64, f64)>) -> Vec<Place> {
    let q = squash(query);
    let mut ranked: Vec<(u8, &Entry)> = PLACES
        .iter()
        .filter_map(|e| {
            let name = squash(e.name);
            let rank = if name == q {
                0
            } else if name.starts_with(&q) {
                1
            } else if name.contains(&q) {
                2
            } else if squash(e.road).contains(&q) || squash(e.lot).contains(&q) {
                3
            } else {
                return None;
            };
            Some((rank, e))
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, e)| place(e, centre)).collect()
}

/// A station, landmark or region by the name people use: a place's name without its line
/// ("강남역" for 강남역 2호선) or a region's last word ("강남구", "역삼동").
pub fn is_place_name(text: &str) -> bool {
    let text = squash(text);
    !text.is_empty()
        && (PLACES
            .iter()
            .any(|e| e.name.split_whitespace().next() == Some(text.as_str()))
            || REGIONS
                .iter()
                .any(|(name, _, _)| name.split_whitespace().last() == Some(text.as_str())))
}

/// Whether `query` is `address` written from some word on ("강남대로 396", "강남구 강남대로
/// 396"), with at least `min_words` words.
fn written_as(address: &str, query: &[String], min_words: usize) -> bool {
    let full = words(address);
    query.len() >= min_words && query.len() <= full.len() && full.ends_with(query)
}

fn region_parts(name: &str) -> [String; 3] {
    let mut parts = words(name).into_iter();
    [(); 3].map(|()| parts.next().unwrap_or_default())
}

fn lot_address(lot: &str, lng: f64, lat: f64) -> LotAddress {
    let [r1, r2, r3] = region_parts(lot);
    let number = words(lot).get(3).cloned().unwrap_or_default();
    let (main, sub) = number.split_once('-').unwrap_or((&number, ""));
    LotAddress {
        address_name: lot.to_owned(),
        region_1depth_name: r1,
        region_2depth_name: r2,
        region_3depth_name: r3.clone(),
        region_3depth_h_name: r3,
        mountain_yn: "N".to_owned(),
        main_address_no: main.to_owned(),
        sub_address_no: sub.to_owned(),
        x: coordinate(lng),
        y: coordinate(lat),
        ..LotAddress::default()
    }
}

fn road_address(
    road: &str,
    lot: &str,
    zone_no: &str,
    building: &str,
    lng: f64,
    lat: f64,
) -> RoadAddress {
    let [r1, r2, _] = region_parts(road);
    let [_, _, dong] = region_parts(lot);
    let parts = words(road);
    let underground = parts.get(3).is_some_and(|w| w == "지하");
    let number = parts.last().cloned().unwrap_or_default();
    let (main, sub) = number.split_once('-').unwrap_or((&number, ""));
    RoadAddress {
        address_name: road.to_owned(),
        region_1depth_name: r1,
        region_2depth_name: r2,
        region_3depth_name: dong,
        road_name: parts.get(2).cloned().unwrap_or_default(),
        underground_yn: if underground { "Y" } else { "N" }.to_owned(),
        main_building_no: main.to_owned(),
        sub_building_no: sub.to_owned(),
        building_name: building.to_owned(),
        zone_no: zone_no.to_owned(),
        x: coordinate(lng),
        y: coordinate(lat),
    }
}

/// Matches of an address search: addresses written in full or from the road or dong on (two
/// words at least), and regions written in full or from the district on.
pub fn addresses(query: &str) -> Vec<AddressDocument> {
    let q = words(query);
    let mut found = Vec::new();
    let buildings = PLACES
        .iter()
        .filter(|e| !e.road.contains(" 지하 "))
        .map(|e| (e.road, e.lot, "", e.name, e.lng, e.lat));
    let plain = ADDRESSES
        .iter()
        .map(|&(road, lot, zone, lng, lat)| (road, lot, zone, "", lng, lat));
    for (road, lot, zone, building, lng, lat) in plain.chain(buildings) {
        let by_road = written_as(road, &q, 2);
        let by_lot = written_as(lot, &q, 2);
        if !(by_road || by_lot) {
            continue;
        }
        let (address_name, address_type) = if by_road {
            (road, "ROAD_ADDR")
        } else {
            (lot, "REGION_ADDR")
        };
        found.push(AddressDocument {
            address_name: address_name.to_owned(),
            address_type: address_type.to_owned(),
            x: coordinate(lng),
            y: coordinate(lat),
            address: Some(lot_address(lot, lng, lat)),
            road_address: Some(road_address(road, lot, zone, building, lng, lat)),
        });
    }
    for &(name, lng, lat) in REGIONS {
        if !written_as(name, &q, 1) {
            continue;
        }
        let [r1, r2, r3] = region_parts(name);
        found.push(AddressDocument {
            address_name: name.to_owned(),
            address_type: "REGION".to_owned(),
            x: coordinate(lng),
            y: coordinate(lat),
            address: Some(LotAddress {
                address_name: name.to_owned(),
                region_1depth_name: r1,
                region_2depth_name: r2,
                region_3depth_name: r3.clone(),
                region_3depth_h_name: r3,
                mountain_yn: "N".to_owned(),
                x: coordinate(lng),
                y: coordinate(lat),
                ..LotAddress::default()
            }),
            road_address: None,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_station_is_found_by_its_name_first() {
        let found = places("강남역", None);
        assert_eq!(found[0].place_name, "강남역 2호선");
        let (lat, lng) = found[0].lat_lng().unwrap();
        assert!((lat - 37.498).abs() < 0.001 && (lng - 127.028).abs() < 0.001);
        assert!(places("없는동네123", None).is_empty());
        assert!(
            places("강남", None)
                .iter()
                .any(|p| p.place_name == "강남구청")
        );
    }

    #[test]
    fn place_names_are_what_people_call_them() {
        for name in ["강남역", "강남구", "역삼동", "코엑스", " 서울역 "] {
            assert!(is_place_name(name), "{name}");
        }
        for name in ["강남", "간편카페", "2호선", ""] {
            assert!(!is_place_name(name), "{name}");
        }
    }

    #[test]
    fn a_centre_gives_each_place_its_distance() {
        let found = places("역삼역", Some((127.028_001, 37.498_086)));
        let metres: f64 = found[0].distance.parse().unwrap();
        assert!((700.0..900.0).contains(&metres), "{metres}");
    }

    #[test]
    fn addresses_match_in_full_or_from_the_road_on() {
        for written in [
            "서울특별시 강남구 강남대로 396",
            "서울 강남구 강남대로 396",
            "강남대로 396",
            "  강남구   강남대로 396 ",
        ] {
            let found = addresses(written);
            assert_eq!(found.len(), 1, "{written}");
            assert_eq!(found[0].display_name(), "서울 강남구 강남대로 396");
            assert_eq!(found[0].address_type, "ROAD_ADDR");
        }
        assert_eq!(addresses("역삼동 858")[0].address_type, "REGION_ADDR");
        assert_eq!(addresses("강남구")[0].address_type, "REGION");
        assert!(addresses("396").is_empty());
        assert!(addresses("강남대로 999").is_empty());
        assert_eq!(
            addresses("세종대로 110")[0]
                .road_address
                .as_ref()
                .unwrap()
                .building_name,
            "서울특별시청"
        );
    }
}
