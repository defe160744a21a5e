use kakao::pay::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Parses a fixture, serializes it back and checks nothing was lost or renamed.
fn round_trip<T: DeserializeOwned + Serialize>(raw: &str) -> T {
    let original: Value = serde_json::from_str(raw).unwrap();
    let parsed: T = serde_json::from_str(raw).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), original);
    parsed
}

#[test]
fn ready_request_with_numbers_as_strings_like_the_doc_curl() {
    let r: ReadyRequest =
        serde_json::from_str(include_str!("../fixtures/pay_ready_request_curl.json")).unwrap();
    assert_eq!(r.cid, TEST_CID);
    assert_eq!(r.quantity, 1);
    assert_eq!(r.total_amount, 2200);
    assert_eq!(r.vat_amount, Some(200));
    assert_eq!(r.tax_free_amount, 0);
    assert_eq!(r.green_deposit, None);
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({
            "cid":"TC0ONETIME","partner_order_id":"partner_order_id","partner_user_id":"partner_user_id",
            "item_name":"초코파이","quantity":1,"total_amount":2200,"tax_free_amount":0,"vat_amount":200,
            "approval_url":"https://developers.kakao.com/success","cancel_url":"https://developers.kakao.com/cancel",
            "fail_url":"https://developers.kakao.com/fail"
        })
    );
    assert_eq!(default_vat(2200, 0), 200);
    assert_eq!(default_vat(12500, 0), 1136);
}

#[test]
fn ready_request_rejects_garbage_numbers_and_missing_fields() {
    let bad_number = json!({"cid":"c","partner_order_id":"o","partner_user_id":"u","item_name":"i",
        "quantity":"one","total_amount":1,"tax_free_amount":0,"approval_url":"a","cancel_url":"c","fail_url":"f"});
    assert!(serde_json::from_value::<ReadyRequest>(bad_number).is_err());
    let missing_total = json!({"cid":"c","partner_order_id":"o","partner_user_id":"u","item_name":"i",
        "quantity":1,"tax_free_amount":0,"approval_url":"a","cancel_url":"c","fail_url":"f"});
    assert!(serde_json::from_value::<ReadyRequest>(missing_total).is_err());
}

#[test]
fn ready_response_round_trips() {
    let r: ReadyResponse = round_trip(include_str!("../fixtures/pay_ready_response.json"));
    assert_eq!(r.tid, "T1234567890123456789");
    assert_eq!(
        r.created_at.unwrap().to_string(),
        "2023-07-15 21:18:22",
        "naive KST timestamp"
    );
    assert!(r.next_redirect_pc_url.unwrap().ends_with("/info"));
}

#[test]
fn approve_round_trips() {
    let req: ApproveRequest = round_trip(include_str!("../fixtures/pay_approve_request.json"));
    assert_eq!(req.total_amount, Some(12500));
    let res: ApproveResponse = round_trip(include_str!("../fixtures/pay_approve_response.json"));
    assert_eq!(res.amount.total, 12500);
    assert_eq!(res.amount.vat, 1136);
    assert_eq!(res.payment_method_type, Some(PaymentMethodType::Card));
    assert_eq!(res.card_info.unwrap().install_month.as_deref(), Some("00"));
    assert!(res.approved_at.unwrap() > res.created_at.unwrap());
}

#[test]
fn approve_response_without_amount_is_not_trusted() {
    let v = json!({"aid":"A","tid":"T","cid":"C","status":"SUCCESS_PAYMENT"});
    assert!(serde_json::from_value::<ApproveResponse>(v).is_err());
}

#[test]
fn order_round_trips_with_action_details() {
    let _: OrderRequest = round_trip(r#"{"cid":"TC0ONETIME","tid":"T1234567890123456789"}"#);
    let o: OrderResponse = round_trip(include_str!("../fixtures/pay_order_response.json"));
    assert_eq!(o.status, PaymentStatus::PartCancelPayment);
    assert_eq!(o.status.class(), StatusClass::PartlyCanceled);
    assert_eq!(o.cancel_available_amount.unwrap().total, 8000);
    assert_eq!(o.payment_action_details.len(), 2);
    assert_eq!(
        o.payment_action_details[1].payment_action_type,
        Some(PaymentActionType::Cancel)
    );
}

#[test]
fn order_response_for_a_fresh_tid_is_tolerated() {
    let o: OrderResponse = serde_json::from_value(json!({
        "tid":"T1","cid":"TC0ONETIME","status":"READY","partner_order_id":"o","partner_user_id":"u",
        "amount":{"total":5000,"tax_free":0,"vat":455,"point":null,"discount":null},
        "canceled_amount":null,"payment_action_details":null,"approved_at":null,
        "created_at":"2023-07-15 21:18:22.123","brand_new_field":{"x":1}
    }))
    .unwrap();
    assert_eq!(o.status.class(), StatusClass::Pending);
    assert_eq!(o.amount.unwrap().point, 0);
    assert!(o.canceled_amount.is_none());
    assert!(o.payment_action_details.is_empty());
    assert!(o.created_at.is_some());
}

#[test]
fn cancel_round_trips() {
    let req: CancelRequest = round_trip(include_str!("../fixtures/pay_cancel_request.json"));
    assert_eq!(req.cancel_available_amount, Some(12500));
    let res: CancelResponse = round_trip(include_str!("../fixtures/pay_cancel_response.json"));
    assert_eq!(res.approved_cancel_amount.unwrap().total, 4500);
    assert_eq!(res.aid.as_deref(), Some("A5678901234567890124"));
    assert_eq!(
        res.canceled_amount.total + res.cancel_available_amount.total,
        res.amount.total
    );
    assert_eq!(res.status.class(), StatusClass::PartlyCanceled);
}

#[test]
fn a_cancel_answer_without_aid_or_approved_cancel_amount_is_read() {
    // The current API sends no aid; approved_cancel_amount is missing from some answers too.
    let res: CancelResponse = serde_json::from_value(json!({
        "tid": "T1c9a04e2b7d35f6a801",
        "cid": "TC0ONETIME",
        "status": "CANCEL_PAYMENT",
        "amount": {"total": 9000, "tax_free": 0, "vat": 818},
        "canceled_amount": {"total": 9000, "tax_free": 0, "vat": 818},
        "cancel_available_amount": {"total": 0, "tax_free": 0, "vat": 0},
        "canceled_at": "2024-03-01T12:00:00"
    }))
    .unwrap();
    assert_eq!(res.aid, None);
    assert_eq!(res.approved_cancel_amount, None);
    assert_eq!(res.canceled_amount.total, 9000);
    assert_eq!(res.status.class(), StatusClass::Canceled);
    let written = serde_json::to_value(&res).unwrap();
    assert!(written.get("aid").is_none() && written.get("approved_cancel_amount").is_none());
}

#[test]
fn every_documented_status_has_its_class() {
    let table = [
        ("READY", StatusClass::Pending),
        ("SEND_TMS", StatusClass::Pending),
        ("OPEN_PAYMENT", StatusClass::Pending),
        ("SELECT_METHOD", StatusClass::Pending),
        ("ARS_WAITING", StatusClass::Pending),
        ("AUTH_PASSWORD", StatusClass::Pending),
        ("ISSUED_SID", StatusClass::Pending),
        ("SUCCESS_PAYMENT", StatusClass::Succeeded),
        ("PART_CANCEL_PAYMENT", StatusClass::PartlyCanceled),
        ("CANCEL_PAYMENT", StatusClass::Canceled),
        ("FAIL_AUTH_PASSWORD", StatusClass::Failed),
        ("QUIT_PAYMENT", StatusClass::Failed),
        ("FAIL_PAYMENT", StatusClass::Failed),
    ];
    for (text, class) in table {
        let s: PaymentStatus = serde_json::from_value(json!(text)).unwrap();
        assert!(!matches!(s, PaymentStatus::Unknown(_)), "{text}");
        assert_eq!(s.class(), class, "{text}");
        assert_eq!(serde_json::to_value(&s).unwrap(), json!(text));
    }
    let odd: PaymentStatus = serde_json::from_value(json!("PARTIAL_CANCEL_PAYMENT")).unwrap();
    assert_eq!(odd, PaymentStatus::Unknown("PARTIAL_CANCEL_PAYMENT".into()));
    assert_eq!(
        odd.class(),
        StatusClass::Pending,
        "unknown is never taken as paid or failed"
    );
    assert_eq!(
        serde_json::to_value(&odd).unwrap(),
        json!("PARTIAL_CANCEL_PAYMENT")
    );
}

#[test]
fn method_and_action_types_keep_values_they_do_not_know() {
    for (text, known) in [
        ("CARD", PaymentMethodType::Card),
        ("MONEY", PaymentMethodType::Money),
    ] {
        let parsed: PaymentMethodType = serde_json::from_value(json!(text)).unwrap();
        assert_eq!(parsed, known);
        assert_eq!(
            (parsed.as_str(), parsed.to_string()),
            (text, text.to_owned())
        );
    }
    let odd: PaymentMethodType = serde_json::from_value(json!("POINT")).unwrap();
    assert_eq!(odd, PaymentMethodType::Unknown("POINT".into()));
    assert_eq!(serde_json::to_value(&odd).unwrap(), json!("POINT"));

    for (text, known) in [
        ("PAYMENT", PaymentActionType::Payment),
        ("CANCEL", PaymentActionType::Cancel),
        ("ISSUED_SID", PaymentActionType::IssuedSid),
    ] {
        assert_eq!(PaymentActionType::from(text), known);
        assert_eq!(serde_json::to_value(&known).unwrap(), json!(text));
    }
    // Matching is exact: KakaoPay's values are upper case.
    let odd: PaymentActionType = serde_json::from_value(json!("cancel")).unwrap();
    assert_eq!(odd, PaymentActionType::Unknown("cancel".into()));
    assert_eq!(odd.to_string(), "cancel");
    assert_eq!(
        PaymentStatus::from(""),
        PaymentStatus::Unknown(String::new())
    );
}

#[test]
fn error_bodies_new_and_old() {
    let e: ErrorBody = round_trip(include_str!("../fixtures/pay_error_approve.json"));
    assert_eq!(e.error_code, codes::APPROVE_FAILED);
    assert_eq!(e.method_result_code(), Some("USER_LOCKED"));
    let old: ErrorBody =
        serde_json::from_value(json!({"code": -702, "msg": "already approved"})).unwrap();
    assert_eq!(old.error_code, -702);
    assert_eq!(old.error_message, "already approved");
    assert_eq!(
        serde_json::to_value(ErrorBody::new(-721, "TID does not exist")).unwrap(),
        json!({"error_code": -721, "error_message": "TID does not exist"})
    );
}

#[test]
fn error_classification_table() {
    use ErrorKind::*;
    let table: &[(u16, Option<i64>, ErrorKind)] = &[
        (NO_RESPONSE, None, Unclear),
        (408, None, Unclear),
        (500, None, Unclear),
        (502, None, Unclear),
        (504, None, Unclear),
        (200, None, Unclear),
        (429, None, Retryable),
        (400, None, Final),
        (401, None, Final),
        (400, Some(-780), Unclear),
        (500, Some(-780), Unclear),
        (400, Some(-781), Unclear),
        (400, Some(-785), Unclear),
        (400, Some(-702), Unclear),
        (400, Some(-429), Retryable),
        (503, Some(-503), Retryable),
        (500, Some(-500), Retryable),
        // Still waiting for the person: settled by inquiry, not a refusal.
        (400, Some(-701), Unclear),
        // Codes no table documents are never taken as refusals.
        (400, Some(-790), Unclear),
        (400, Some(-2), Unclear),
        (400, Some(-706), Final),
        (400, Some(-722), Final),
        (400, Some(-797), Final),
        (400, Some(-708), Final),
        (400, Some(-710), Final),
        (400, Some(-721), Final),
        (400, Some(-723), Final),
        (400, Some(-783), Final),
        (400, Some(-784), Final),
        (401, Some(-401), Final),
        (403, Some(-403), Final),
        (500, Some(-782), Unclear),
    ];
    for &(status, code, kind) in table {
        assert_eq!(classify(status, code), kind, "{status} {code:?}");
    }
}

#[test]
fn retryable_errors_on_cancel_are_settled_instead() {
    for call in [Call::Ready, Call::Approve, Call::Order] {
        assert!(call.retry_safe());
        assert_eq!(classify_call(call, 503, Some(-503)), ErrorKind::Retryable);
    }
    assert!(!Call::Cancel.retry_safe());
    assert_eq!(
        classify_call(Call::Cancel, 503, Some(-503)),
        ErrorKind::Unclear
    );
    assert_eq!(classify_call(Call::Cancel, 429, None), ErrorKind::Unclear);
    assert_eq!(
        classify_call(Call::Cancel, 400, Some(-784)),
        ErrorKind::Final
    );
    assert_eq!(Call::Approve.path(), "/online/v1/payment/approve");
    assert_eq!(Call::Ready.path(), READY_PATH);
    assert_eq!(ORDER_PATH, "/online/v1/payment/order");
    assert_eq!(CANCEL_PATH, "/online/v1/payment/cancel");
}

#[test]
fn authorization_header() {
    assert_eq!(AUTHORIZATION_HEADER, "Authorization");
    assert_eq!(authorization_value("DEVKEY123"), "SECRET_KEY DEVKEY123");
    assert_eq!(
        parse_authorization("SECRET_KEY DEVKEY123"),
        Some("DEVKEY123")
    );
    assert_eq!(parse_authorization("KakaoAK DEVKEY123"), None);
    assert_eq!(parse_authorization("SECRET_KEY "), None);
    assert_eq!(parse_authorization("SECRET_KEYDEV"), None);
}
