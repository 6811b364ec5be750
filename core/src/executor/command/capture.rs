//! Bounded capture of a child's stdout and stderr: a reader thread per pipe keeps the last bytes
//! of the stream ([`Tail`]); secrets are redacted before the tail is cut ([`Tail::text`]).

use crate::secrets::Redactor;
use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

/// The last bytes of a stream, and how many bytes it had in all.
#[derive(Debug, Default)]
pub(super) struct Tail {
    bytes: VecDeque<u8>,
    /// Bytes the stream had in all.
    pub(super) total: u64,
    /// Bytes kept: the limit shown, plus what redaction needs to see before the cut.
    capacity: usize,
    /// The reader was still running when we stopped waiting for it.
    pub(super) incomplete: bool,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        let chunk = &chunk[chunk.len().saturating_sub(self.capacity)..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.capacity);
        self.bytes.drain(..overflow.min(self.bytes.len()));
        self.bytes.extend(chunk);
    }

    /// How many bytes of the stream the last `keep` bytes are (fewer when the stream was shorter).
    pub(super) fn kept(&self, keep: usize) -> u64 {
        self.total.min(keep as u64)
    }

    /// The last `keep` bytes of the stream as text, with every secret redacted **before** the cut
    /// (a secret the cut falls into keeps none of its characters); invalid UTF-8 becomes U+FFFD.
    pub(super) fn text(&self, redactor: &Redactor, keep: usize) -> String {
        let (a, b) = self.bytes.as_slices();
        let mut all = Vec::with_capacity(a.len() + b.len());
        all.extend_from_slice(a);
        all.extend_from_slice(b);
        String::from_utf8_lossy(&redactor.tail(&all, keep)).into_owned()
    }
}

/// A thread reading one pipe into a bounded [`Tail`].
pub(super) struct Capture {
    tail: Arc<Mutex<Tail>>,
    done: Option<mpsc::Receiver<()>>,
}

impl Capture {
    /// Starts reading `pipe`, keeping its last `capacity` bytes.
    pub(super) fn start<R: Read + Send + 'static>(pipe: Option<R>, capacity: usize) -> Capture {
        let tail = Arc::new(Mutex::new(Tail { capacity, ..Tail::default() }));
        let Some(mut pipe) = pipe else { return Capture { tail, done: None } };
        let (tx, rx) = mpsc::channel();
        let shared = tail.clone();
        let spawned = std::thread::Builder::new().name("trainyard-capture".into()).spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => shared.lock().unwrap_or_else(|e| e.into_inner()).push(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
        Capture { tail, done: spawned.ok().map(|_| rx) }
    }

    /// Waits for the reader until `deadline`, then takes what it has.
    pub(super) fn finish(self, deadline: Instant) -> Tail {
        let complete = match &self.done {
            None => true,
            Some(rx) => rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok(),
        };
        let mut guard = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        let mut tail = std::mem::take(&mut *guard);
        tail.incomplete = !complete;
        tail
    }
}

/// The stderr and stdout tails for a failure message: `\n--- stderr (N bytes) ---\n…` then the
/// same for stdout, each the last `keep` bytes, redacted before the cut. Empty streams are left out.
pub(super) fn format_tails(stderr: &Tail, stdout: &Tail, redactor: &Redactor, keep: usize) -> String {
    let mut out = String::new();
    for (name, tail) in [("stderr", stderr), ("stdout", stdout)] {
        if tail.total == 0 {
            continue;
        }
        let kept = tail.kept(keep);
        let what = if kept < tail.total {
            format!("last {kept} of {} bytes", tail.total)
        } else {
            format!("{} bytes", tail.total)
        };
        let note = if tail.incomplete { "; capture stopped while a background process held the pipe" } else { "" };
        out.push_str(&format!("\n--- {name} ({what}{note}) ---\n{}", tail.text(redactor, keep)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretValue;

    fn tail_of(chunks: &[&[u8]], capacity: usize) -> Tail {
        let mut t = Tail { capacity, ..Tail::default() };
        for c in chunks {
            t.push(c);
        }
        t
    }

    #[test]
    fn a_secret_the_cut_falls_into_is_redacted() {
        let secret = "SECRET-0123456789";
        let redactor = Redactor::new(&[SecretValue::new(secret)]);
        let keep = 10;
        // The stream ends with the last 5 characters of the secret and 5 more bytes.
        let stream = format!("head {secret}xxxxx");
        for split in [1, 4, 9, stream.len() - 1] {
            let (a, b) = stream.as_bytes().split_at(split);
            let t = tail_of(&[a, b], keep + redactor.lookbehind());
            let text = t.text(&redactor, keep);
            assert_eq!(text, "***xxxxx", "split at {split}");
            assert_eq!(t.kept(keep), 10);
        }
        // Without the extra capacity the start of the secret is gone and it cannot be recognised.
        let blind = tail_of(&[stream.as_bytes()], keep);
        assert_eq!(blind.text(&redactor, keep), "56789xxxxx");
    }

    #[test]
    fn tails_are_formatted_with_sizes() {
        let none = Redactor::default();
        let err = tail_of(&[b"disk full\n"], 100);
        let out = tail_of(&[], 100);
        assert_eq!(format_tails(&err, &out, &none, 100), "\n--- stderr (10 bytes) ---\ndisk full\n");
        let long = tail_of(&[b"0123456789"], 4);
        assert_eq!(format_tails(&out, &long, &none, 4), "\n--- stdout (last 4 of 10 bytes) ---\n6789");
    }
}
