//! Every process under `examples/processes/` loads without errors, and serializes back losslessly
//! (YAML and JSON round trips give the same process).

use std::path::PathBuf;

#[test]
fn example_processes_are_valid_and_round_trip() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/processes");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/processes exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        n += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = trainyard::load_process(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let from_yaml = trainyard::load_process(&loaded.process.to_yaml())
            .unwrap_or_else(|e| panic!("{} (YAML round trip): {e}", path.display()));
        let from_json = trainyard::load_process(&loaded.process.to_json())
            .unwrap_or_else(|e| panic!("{} (JSON round trip): {e}", path.display()));
        assert_eq!(loaded.process, from_yaml.process, "{}", path.display());
        assert_eq!(loaded.process, from_json.process, "{}", path.display());
        assert_eq!(loaded.warnings, from_json.warnings);
    }
    assert!(n >= 2, "expected at least the system release train and the hotfix process, found {n}");
}
