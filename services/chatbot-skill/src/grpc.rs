//! The gRPC adapter: `Handle` hands the raw webhook to the handler and returns its answer.
//! It never fails the call for our own faults; the gateway relays the body and status as-is.

use std::sync::Arc;

use contracts::chatbot::v1::chatbot_skill_service_server::ChatbotSkillService;
use contracts::chatbot::v1::{HandleRequest, HandleResponse};
use tonic::{Request, Response, Status};

use crate::handler::App;

pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[derive(Clone)]
pub struct ChatbotSkillGrpc {
    app: Arc<App>,
}

impl ChatbotSkillGrpc {
    pub fn new(app: Arc<App>) -> Self {
        ChatbotSkillGrpc { app }
    }
}

#[tonic::async_trait]
impl ChatbotSkillService for ChatbotSkillGrpc {
    async fn handle(
        &self,
        request: Request<HandleRequest>,
    ) -> Result<Response<HandleResponse>, Status> {
        let request = request.into_inner();
        let answer = self
            .app
            .handle(&request.name, &request.body, &request.headers)
            .await;
        Ok(Response::new(HandleResponse {
            body: answer.body(),
            http_status: u32::from(answer.http_status),
            content_type: CONTENT_TYPE.to_owned(),
        }))
    }
}
