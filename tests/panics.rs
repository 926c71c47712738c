//! A panic in a handler is answered 500 `InternalServerError` with the documented JSON body,
//! and the server keeps serving.

use axum::routing::get;
use axum::Router;

async fn boom() -> &'static str {
    panic!("deliberate")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let app = cloudflow_emulator::server::panic_guard(
        Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "fine" })),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .get(format!("http://{addr}/boom"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()["content-type"], "application/json");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["Code"], "InternalServerError");
        assert_eq!(
            v["Message"],
            "An internal error has occurred. Please retry."
        );
        assert!(v["RequestId"].is_string());
        assert!(v["HostId"].is_string());
        let ok = client
            .get(format!("http://{addr}/ok"))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.text().await.unwrap(), "fine");
    }
}
