//! The typed httpmock helpers downstream users get with the `httpmock` feature.
#![cfg(feature = "httpmock")]

use std::time::Duration;

use carbon_api_gen::mock::MockServerExt;
use carbon_api_gen::{types, Client, ClientState};
use httpmock::MockServer;

#[test]
fn typed_mocks_match_and_answer_with_generated_types() {
    let server = MockServer::start();
    let part = types::PrintedPart {
        uuid: "pp-1".into(),
        part_uuid: "p-1".into(),
        status: carbon_api_gen::enums::PrintedPartStatus::Queued,
        ..serde_json::from_value(serde_json::json!({"uuid": "x", "part_uuid": "x", "status": "waiting"})).unwrap()
    };
    let get = server.get_printed_part(|when, then| {
        when.uuid("pp-1");
        then.ok(&part);
    });
    let printers = server.get_printers(|when, then| {
        when.limit(std::num::NonZeroU64::new(10).unwrap()).offset(0);
        then.ok(&types::PrintersResponse {
            limit: 10,
            offset: 0,
            total_count: 0,
            printers: vec![],
        });
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = carbon_api_gen::http_client(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
        // The typed mocks match paths without the /v1 base path.
        let c = Client::with_state(
            &carbon_api_gen::BaseUrl::parse(&server.base_url()).unwrap(),
            http,
            ClientState::default(),
        );
        let got = c.get_printed_part().uuid("pp-1").send().await.unwrap().into_inner();
        assert_eq!(got, part);
        let page = c
            .get_printers()
            .limit(std::num::NonZeroU64::new(10).unwrap())
            .offset(0u64)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_count, 0);
    });
    get.assert();
    printers.assert();
}
