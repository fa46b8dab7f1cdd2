//! The floor of workload (d): Samba's PIDL-generated NDR parser for `PReg` files
//! (`samba.ndr.ndr_unpack(samba.dcerpc.preg.file, data)`, Debian's python3-samba, as
//! `/work/shared/validators/pol2json.py` calls it). A Python process is started once, reads the
//! file into memory once, and then times one `ndr_unpack` per request with
//! `time.perf_counter`, so interpreter start, imports and file I/O are outside every sample,
//! exactly as rdpgen's `registry_pol::read` is timed in-process on bytes already in memory.
//! Both sides free their result after the clock stops.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// Debian's interpreter: the Samba bindings are a Debian package (python3-samba), not a pip one.
/// `RDPGEN_BENCH_PYTHON` names another (e.g. to check the skip path).
pub const PYTHON: &str = "/usr/bin/python3";

pub fn python() -> String {
    std::env::var("RDPGEN_BENCH_PYTHON").unwrap_or_else(|_| PYTHON.to_owned())
}

const SCRIPT: &str = r#"
import sys, time
try:
    from samba.dcerpc import preg
    from samba.ndr import ndr_unpack
except ImportError as e:
    print("SKIP Samba's Python bindings are missing (%s)" % e, flush=True)
    sys.exit(0)
data = open(sys.argv[1], 'rb').read()
print("READY %d" % len(data), flush=True)
for line in sys.stdin:
    if line.strip() != "run":
        break
    t0 = time.perf_counter()
    pol = ndr_unpack(preg.file, data)
    t1 = time.perf_counter()
    n = pol.num_entries
    del pol
    print("TIME %r %d" % (t1 - t0, n), flush=True)
"#;

pub struct Samba {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Why the floor cannot be measured here (printed loudly, never a failure).
pub struct Unavailable(pub String);

impl Samba {
    /// Starts the timing process on `pol`; `Err` when Python or the bindings are missing.
    pub fn start(pol: &Path) -> Result<Self, Unavailable> {
        let python = python();
        if !Path::new(&python).exists() {
            return Err(Unavailable(format!("{python} does not exist")));
        }
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(SCRIPT)
            .arg(pol)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Unavailable(format!("cannot start {python}: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(Unavailable("no pipes to the Python process".into()));
        };
        let mut samba = Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        let line = samba.line().map_err(Unavailable)?;
        if let Some(reason) = line.strip_prefix("SKIP ") {
            return Err(Unavailable(reason.to_owned()));
        }
        if !line.starts_with("READY ") {
            return Err(Unavailable(format!("unexpected answer `{line}`")));
        }
        Ok(samba)
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the Python process ended (see its error above)".into()),
            Ok(_) => Ok(line.trim_end().to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Times one `ndr_unpack`; returns the time and the entry count Samba found.
    pub fn unpack(&mut self) -> Result<(Duration, usize), String> {
        writeln!(self.stdin, "run").map_err(|e| format!("Samba floor: {e}"))?;
        self.stdin
            .flush()
            .map_err(|e| format!("Samba floor: {e}"))?;
        let line = self.line().map_err(|e| format!("Samba floor: {e}"))?;
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("TIME"), Some(secs), Some(n)) => {
                let secs: f64 = secs.parse().map_err(|_| format!("Samba floor: `{line}`"))?;
                let n: usize = n.parse().map_err(|_| format!("Samba floor: `{line}`"))?;
                Ok((Duration::from_secs_f64(secs), n))
            }
            _ => Err(format!("Samba floor: unexpected answer `{line}`")),
        }
    }
}

impl Drop for Samba {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "stop");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}
