//! JSON report: `{"policy": ..., "hosts": [...], "summary": ...}`, hosts streamed.

use std::io::{self, Write};

use serde_json::json;

use super::{Context, Report, Summary};
use crate::audit::compare::{Area, HostReport};

#[derive(Default)]
pub struct Json {
    first: bool,
    /// One host's JSON, reused from host to host: serialising into memory and writing it in
    /// one call is cheaper than serde's many small writes through `dyn Write`.
    buffer: Vec<u8>,
}

impl Report for Json {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        self.first = true;
        let policy = json!({"name": ctx.policy_name, "file": ctx.policy_file, "sha256": ctx.policy_hash, "rdpgenVersion": ctx.version});
        write!(out, "{{\n  \"policy\": {},\n  \"hosts\": [", policy)
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        if !self.first {
            out.write_all(b",")?;
        }
        self.first = false;
        self.buffer.clear();
        self.buffer.extend_from_slice(b"\n    ");
        serde_json::to_writer(&mut self.buffer, host).map_err(io::Error::other)?;
        out.write_all(&self.buffer)
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        let findings: Vec<_> = s
            .findings
            .iter()
            .map(|(id, c)| json!({"check": id, "field": c.field, "cause": c.cause, "hosts": c.hosts}))
            .collect();
        let mut per_area = serde_json::Map::new();
        for (area, failing) in Area::ALL.iter().zip(s.failing_per_area) {
            per_area.insert(area.as_str().to_string(), json!(failing));
        }
        let not_verified: Vec<_> = s
            .not_verified
            .iter()
            .map(|(id, c)| json!({"check": id, "field": c.field, "hosts": c.hosts}))
            .collect();
        let summary = json!({
            "hosts": s.hosts, "compliant": s.compliant, "drifted": s.drifted,
            "incomplete": s.incomplete, "unreadable": s.unreadable,
            "findings": findings, "notVerified": not_verified, "hostsWithFindingsPerArea": per_area,
        });
        write!(out, "\n  ],\n  \"summary\": {}\n}}\n", summary)
    }
}
