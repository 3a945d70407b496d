#![no_main]

// The logic lives in sspi_proto::fuzzing, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sspi_proto::fuzzing::channel_bindings(data));
