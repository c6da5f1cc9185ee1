//! Round-trip harness: decodes every wire config of a cases file with the generated bindings,
//! re-encodes it and compares it with the canonical JSON; invalid configs must be rejected.
#[path = "../gen/network.rs"]
#[allow(clippy::all)]
mod network;

use network::{NetworkConfig, Validate};
use serde_json::Value;

fn decode(json: &Value) -> Result<NetworkConfig, String> {
    let cfg: NetworkConfig = serde_json::from_value(json.clone()).map_err(|e| e.to_string())?;
    cfg.validate("$")?;
    Ok(cfg)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: roundtrip <cases.json>");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let cases: Value = serde_json::from_str(&text).expect("cases file is JSON");
    let (mut pass, mut fail) = (0usize, 0usize);
    for case in cases["valid"].as_array().expect("valid[]") {
        let id = case["id"].as_str().unwrap_or("?");
        let canonical = case.get("canonical").unwrap_or(&case["input"]);
        let result = decode(&case["input"]).and_then(|cfg| serde_json::to_value(&cfg).map_err(|e| e.to_string()));
        match result {
            Ok(out) if &out == canonical => pass += 1,
            Ok(out) => {
                fail += 1;
                println!("FAIL valid {id}: round trip differs\n  want {canonical}\n  got  {out}");
            }
            Err(e) => {
                fail += 1;
                println!("FAIL valid {id}: rejected: {e}");
            }
        }
    }
    for case in cases["invalid"].as_array().expect("invalid[]") {
        let id = case["id"].as_str().unwrap_or("?");
        match decode(&case["input"]) {
            Err(e) => {
                pass += 1;
                if std::env::var("POLYGLOT_VERBOSE").as_deref() == Ok("1") {
                    println!("ok invalid {id}: {e}");
                }
            }
            Ok(cfg) => {
                fail += 1;
                println!("FAIL invalid {id}: accepted as {}", serde_json::to_string(&cfg).unwrap_or_default());
            }
        }
    }
    println!("rust: {pass} passed, {fail} failed");
    std::process::exit(if fail == 0 { 0 } else { 1 });
}
