//! The Kakao Local wire types read answers in the shape Kakao documents (§1.4b), keep `x` as the
//! longitude and `y` as the latitude, and read a refusal's body.

use kakao::local::{AddressResponse, ErrorBody, KeywordResponse, lat_lng};

#[test]
fn a_keyword_answer_reads_with_longitude_in_x() {
    let body = r#"{
      "meta": {"same_name": {"region": [], "keyword": "강남역", "selected_region": ""},
               "pageable_count": 45, "total_count": 45, "is_end": false},
      "documents": [{
        "place_name": "강남역 2호선", "distance": "", "place_url": "http://place.map.kakao.com/21160803",
        "category_name": "교통,수송 > 지하철,전철 > 수도권2호선", "address_name": "서울 강남구 역삼동 858",
        "road_address_name": "서울 강남구 강남대로 396", "id": "21160803", "phone": "02-6110-2221",
        "category_group_code": "SW8", "category_group_name": "지하철역",
        "x": "127.02800140627488", "y": "37.49808633653005"
      }]
    }"#;
    let answer: KeywordResponse = serde_json::from_str(body).unwrap();
    assert_eq!(answer.meta.total_count, 45);
    assert_eq!(answer.meta.same_name.unwrap().keyword, "강남역");
    let place = &answer.documents[0];
    assert_eq!(place.place_name, "강남역 2호선");
    let (lat, lng) = place.lat_lng().unwrap();
    assert!((lat - 37.498_086).abs() < 1e-5 && (lng - 127.028_001).abs() < 1e-5);
}

#[test]
fn an_address_answer_prefers_the_road_address_and_reads_null_forms() {
    let body = r#"{
      "meta": {"total_count": 2, "pageable_count": 2, "is_end": true},
      "documents": [
        {"address_name": "서울 강남구 강남대로 396", "address_type": "ROAD_ADDR",
         "x": "127.028000", "y": "37.497952",
         "address": {"address_name": "서울 강남구 역삼동 858", "region_1depth_name": "서울",
                     "region_2depth_name": "강남구", "region_3depth_name": "역삼동",
                     "region_3depth_h_name": "역삼1동", "h_code": "1168064000", "b_code": "1168010100",
                     "mountain_yn": "N", "main_address_no": "858", "sub_address_no": "",
                     "x": "127.028000", "y": "37.497952"},
         "road_address": {"address_name": "서울 강남구 강남대로 396", "region_1depth_name": "서울",
                          "region_2depth_name": "강남구", "region_3depth_name": "역삼동",
                          "road_name": "강남대로", "underground_yn": "N", "main_building_no": "396",
                          "sub_building_no": "", "building_name": "", "zone_no": "06232",
                          "x": "127.028000", "y": "37.497952"}},
        {"address_name": "서울 강남구", "address_type": "REGION", "x": "127.047", "y": "37.517",
         "address": null, "road_address": null}
      ]
    }"#;
    let answer: AddressResponse = serde_json::from_str(body).unwrap();
    assert_eq!(answer.documents.len(), 2);
    assert_eq!(
        answer.documents[0].display_name(),
        "서울 강남구 강남대로 396"
    );
    assert_eq!(
        answer.documents[0].address.as_ref().unwrap().address_name,
        "서울 강남구 역삼동 858"
    );
    assert_eq!(answer.documents[1].display_name(), "서울 강남구");
    assert_eq!(answer.documents[1].lat_lng(), Some((37.517, 127.047)));
}

#[test]
fn coordinates_off_the_globe_or_unparsable_read_as_none() {
    assert_eq!(lat_lng("127.0", "37.5"), Some((37.5, 127.0)));
    assert_eq!(lat_lng("", "37.5"), None);
    assert_eq!(lat_lng("127.0", "north"), None);
    assert_eq!(lat_lng("200.0", "37.5"), None);
    assert_eq!(lat_lng("127.0", "NaN"), None);
}

#[test]
fn a_refusal_names_its_error_type() {
    let body = r#"{"errorType":"AccessDeniedError","message":"cannot find appkey"}"#;
    let error: ErrorBody = serde_json::from_str(body).unwrap();
    assert_eq!(error.error_type, "AccessDeniedError");
    assert_eq!(
        serde_json::to_value(&error).unwrap()["errorType"],
        "AccessDeniedError"
    );
}
