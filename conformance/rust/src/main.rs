//! Round-trip harness: decodes every wire config of a cases file with the generated bindings,
//! re-encodes it and compares it with the canonical JSON; invalid configs must be rejected.
#[path = "../gen/network.rs"]
#[allow(clippy::all, dead_code)] // a library API compiled into this binary: not every entry point is used here
mod network;

use network::NetworkConfig;
use serde_json::Value;

fn decode(json: &Value) -> Result<NetworkConfig, String> {
    network::from_value(json.clone())
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

#[cfg(test)]
mod tests {
    use super::*;
    use network::{Destination, DestinationGroup};

    fn fixtures(kind: &str) -> Vec<(String, Value)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/wire").join(kind);
        let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| (p.display().to_string(), serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json")))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(!out.is_empty(), "no fixtures in {}", dir.display());
        out
    }

    #[test]
    fn valid_fixtures_round_trip() {
        for (name, doc) in fixtures("valid") {
            let cfg = decode(&doc).unwrap_or_else(|e| panic!("{name}: rejected: {e}"));
            assert_eq!(serde_json::to_value(&cfg).expect("encode"), doc, "{name}");
        }
    }

    #[test]
    fn invalid_fixtures_are_rejected() {
        for (name, doc) in fixtures("invalid") {
            assert!(decode(&doc).is_err(), "{name}: accepted");
        }
    }

    #[test]
    fn destination_is_externally_tagged() {
        assert_eq!(serde_json::to_value(Destination::Any).unwrap(), serde_json::json!("any"));
        assert_eq!(serde_json::to_value(Destination::Group(DestinationGroup::LinkLocal)).unwrap(), serde_json::json!({"group": "link_local"}));
        let d: Destination = serde_json::from_value(serde_json::json!({"cidr": "10.0.0.0/8"})).unwrap();
        assert_eq!(d, Destination::Cidr("10.0.0.0/8".into()));
        assert!(serde_json::from_value::<Destination>(serde_json::json!({"cidr": "a", "domain": "b"})).is_err());
    }

    #[test]
    fn structs_reject_the_sequence_form_serde_would_accept() {
        assert!(serde_json::from_value::<NetworkConfig>(serde_json::json!([])).is_err());
        assert!(serde_json::from_value::<network::PortRange>(serde_json::json!([1, 2])).is_err());
    }
}
