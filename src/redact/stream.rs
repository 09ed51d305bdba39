//! Streaming redaction with bounded memory.
//!
//! Input is consumed line by line. Runs of lines without a trigger keyword are copied straight
//! through; triggered lines are scanned. Multi-line secrets (PEM blocks, YAML `name:`/`value:` env
//! pairs, `password: |` block scalars) are handled by a small state machine. A line longer than
//! [`WINDOW`] is processed in windows: each window is scanned whole but only emitted up to
//! `WINDOW - OVERLAP` (or further, to the end of a secret that crosses that point); the rest is scanned
//! again with the next window, and spans already found there are carried over so that their context
//! (`password=` before the cut) is not lost. Windows depend only on the content, so the output does
//! not depend on how the input was chunked.

use std::sync::Arc;

use super::RedactError;
use super::detectors::{Action, R_PEM, RuleId, Span, indentation, is_pem_body_line};
use super::engine::Engine;
use super::report::RedactionReport;

/// Longest piece of a line scanned at once.
pub(crate) const WINDOW: usize = 64 * 1024;
/// Bytes of each window re-scanned with the next one; secrets up to this length survive a window edge.
pub(crate) const OVERLAP: usize = 8 * 1024;
/// Input is taken in slices of at most this size, bounding the buffered data.
const PUSH_SLICE: usize = 1 << 20;
/// With user rules, a long line up to this size is held whole so that each rule runs over the whole line
/// once: window edges must not change what an anchored (`^…$`) rule matches. Longer lines fall back to
/// running the user rules per window.
pub(crate) const USER_RULE_LINE_LIMIT: usize = 8 << 20;

/// Multi-line state carried from one line to the next.
#[derive(Default, Debug)]
struct LineState {
    in_pem: bool,
    env_value_next: bool,
    block: Option<(usize, RuleId)>,
    /// The rest of the current (long) line is part of a masked value.
    rest_of_line: bool,
    /// `name: ROUTING_KEY` seen: the next `value:` is masked when it looks random.
    env_value_loose: bool,
    /// Lines left in which to look for the base64 answer to an SMTP AUTH prompt.
    base64_answer: u8,
}

impl LineState {
    fn is_active(&self) -> bool {
        self.in_pem
            || self.env_value_next
            || self.env_value_loose
            || self.base64_answer > 0
            || self.block.is_some()
            || self.rest_of_line
    }
}

/// Redacts one file fed in arbitrary chunks. Obtained from [`super::Redactor::stream`].
pub struct StreamRedactor {
    engine: Option<Arc<Engine>>,
    file: String,
    pending: Vec<u8>,
    /// Spans, relative to the start of `pending`, found by an earlier window of the current line.
    carry: Vec<Span>,
    /// `pending` starts in the middle of a line (a window of it was already emitted).
    mid_line: bool,
    state: LineState,
    counts: Vec<u64>,
    /// User-rule spans of the current long line, found over the whole line (relative to its start).
    line_user_spans: Option<Vec<Span>>,
    /// Bytes of the current long line already emitted.
    line_offset: usize,
}

impl StreamRedactor {
    /// `engine == None`: redaction disabled, bytes pass through.
    pub(crate) fn new(engine: Option<Arc<Engine>>, file: &str) -> StreamRedactor {
        let rules = engine.as_ref().map_or(0, |engine| engine.rule_count());
        StreamRedactor {
            engine,
            file: file.to_string(),
            pending: Vec::new(),
            carry: Vec::new(),
            mid_line: false,
            state: LineState::default(),
            counts: vec![0; rules],
            line_user_spans: None,
            line_offset: 0,
        }
    }

    /// Feeds a chunk; appends whatever can already be emitted to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), RedactError> {
        let Some(engine) = self.engine.clone() else {
            out.extend_from_slice(chunk);
            return Ok(());
        };
        for slice in chunk.chunks(PUSH_SLICE) {
            self.pending.extend_from_slice(slice);
            if let Some(last_newline) = memchr::memrchr(b'\n', &self.pending) {
                let pending = std::mem::take(&mut self.pending);
                self.complete_lines(&engine, &pending[..=last_newline], out);
                self.pending = pending;
                self.pending.drain(..=last_newline);
            }
            // A long line is held whole for the user rules, up to a limit (see USER_RULE_LINE_LIMIT).
            let hold = engine.has_user_rules() && !self.mid_line && self.pending.len() <= USER_RULE_LINE_LIMIT;
            while self.pending.len() > WINDOW && !hold {
                let pending = std::mem::take(&mut self.pending);
                let cut = self.window(&engine, &pending, out);
                self.pending = pending;
                self.pending.drain(..cut);
            }
        }
        Ok(())
    }

    /// Flushes the last (unterminated) line and adds this file's counts to `report`.
    pub fn finish(mut self, out: &mut Vec<u8>, report: &mut RedactionReport) -> Result<(), RedactError> {
        let Some(engine) = self.engine.clone() else { return Ok(()) };
        let pending = std::mem::take(&mut self.pending);
        self.long_line(&engine, &pending, out);
        for (rule, count) in self.counts.iter().enumerate() {
            let rule = RuleId::try_from(rule).map_err(|_| RedactError::Internal("rule index overflow".to_string()))?;
            report.record(&self.file, engine.rule_name(rule), *count);
        }
        Ok(())
    }

    /// `data` ends with a newline. Its first line may be the tail of a line already partly emitted.
    fn complete_lines(&mut self, engine: &Engine, data: &[u8], out: &mut Vec<u8>) {
        let mut data = data;
        if self.mid_line {
            let end = memchr::memchr(b'\n', data).map_or(data.len(), |i| i + 1);
            self.long_line(engine, &data[..end], out);
            data = &data[end..];
        }
        self.batch(engine, data, out);
    }

    /// Lines that each fit in a window go through the keyword fast path; longer ones through windows.
    fn batch(&mut self, engine: &Engine, batch: &[u8], out: &mut Vec<u8>) {
        let per_line = engine.has_whole_text_rules();
        let mut spans: Vec<Span> = Vec::new();
        let mut segment_start = 0;
        let mut pos = 0;
        while pos < batch.len() {
            let line_start = if per_line || self.state.is_active() {
                pos
            } else {
                match engine.builtins().first_trigger(&batch[pos..]) {
                    None => break,
                    Some(offset) => memchr::memrchr(b'\n', &batch[pos..pos + offset]).map_or(pos, |i| pos + i + 1),
                }
            };
            let line_end = memchr::memchr(b'\n', &batch[line_start..]).map_or(batch.len(), |i| line_start + i);
            let next = (line_end + 1).min(batch.len());
            if line_end - line_start > WINDOW {
                self.flush_segment(engine, batch, segment_start, line_start, &mut spans, out);
                self.long_line(engine, &batch[line_start..next], out);
                segment_start = next;
            } else {
                let has_newline = line_end < batch.len();
                self.scan_complete_line(
                    engine,
                    &batch[line_start..line_end],
                    has_newline,
                    line_start,
                    true,
                    &mut spans,
                );
                if per_line {
                    engine.scan_user(&batch[line_start..line_end], line_start, &mut spans);
                }
            }
            pos = next;
        }
        self.flush_segment(engine, batch, segment_start, batch.len(), &mut spans, out);
    }

    /// Emits `batch[start..end]` with the spans collected for it.
    fn flush_segment(
        &mut self,
        engine: &Engine,
        batch: &[u8],
        start: usize,
        end: usize,
        spans: &mut Vec<Span>,
        out: &mut Vec<u8>,
    ) {
        if start >= end {
            spans.clear();
            return;
        }
        let segment = &batch[start..end];
        engine.scan_shapes(segment, start, spans);
        engine.filter_allowed(segment, start, spans, 0);
        for span in spans.iter_mut() {
            span.start = span.start.saturating_sub(start);
            span.end = span.end.saturating_sub(start);
        }
        engine.emit(segment, spans, out, &mut self.counts);
        spans.clear();
    }

    /// A line (with its newline, if any) that may be longer than a window; or the tail of one.
    fn long_line(&mut self, engine: &Engine, line: &[u8], out: &mut Vec<u8>) {
        let mut rest = line;
        let content_len = |piece: &[u8]| piece.len() - usize::from(piece.ends_with(b"\n"));
        if !self.mid_line && engine.has_user_rules() && content_len(line) > WINDOW {
            let mut spans = Vec::new();
            engine.scan_user_rules(&line[..content_len(line)], 0, &mut spans);
            self.line_user_spans = Some(spans);
            self.line_offset = 0;
        }
        while content_len(rest) > WINDOW {
            let cut = self.window(engine, rest, out);
            rest = &rest[cut..];
        }
        if rest.is_empty() && !self.mid_line {
            return;
        }
        let has_newline = rest.ends_with(b"\n");
        let content = &rest[..content_len(rest)];
        let mut spans = std::mem::take(&mut self.carry);
        let at_line_start = !self.mid_line;
        self.scan_complete_line(engine, content, has_newline, 0, at_line_start, &mut spans);
        self.user_spans(engine, content, 0, &mut spans);
        engine.scan_shapes(content, 0, &mut spans);
        engine.filter_allowed(content, 0, &mut spans, 0);
        engine.emit(rest, &mut spans, out, &mut self.counts);
        self.mid_line = false;
        self.state.rest_of_line = false;
        self.line_user_spans = None;
        self.line_offset = 0;
    }

    /// User rules and pseudonyms over `text` (at `base` in the current piece of the line). When the
    /// whole line was scanned up front, its spans are translated instead; a span that began in an
    /// earlier window continues as a drop (its mask was already written).
    fn user_spans(&self, engine: &Engine, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        let Some(line_spans) = &self.line_user_spans else {
            engine.scan_user(text, base, spans);
            return;
        };
        engine.scan_pseudonyms(text, base, spans);
        let from = self.line_offset + base;
        let to = from + text.len();
        for span in line_spans.iter().filter(|span| span.end > from && span.start < to) {
            let (start, action) = if span.start < self.line_offset {
                (self.line_offset, Action::Drop)
            } else {
                (span.start, span.action)
            };
            let start = start.max(from) - self.line_offset;
            let end = span.end.min(to) - self.line_offset;
            spans.push(Span { start, end, action });
        }
    }

    /// Scans `data[..WINDOW]` (data is longer), emits a prefix and returns its length.
    fn window(&mut self, engine: &Engine, data: &[u8], out: &mut Vec<u8>) -> usize {
        let window = &data[..WINDOW];
        let mut spans = std::mem::take(&mut self.carry);
        let at_line_start = !self.mid_line;
        let mut open_from: Option<(usize, bool)> = None; // (start, is_pem)
        let mut scan_from = 0;
        if self.state.rest_of_line {
            spans.push(Span { start: 0, end: WINDOW, action: Action::Drop });
            scan_from = WINDOW;
        } else if self.state.in_pem {
            match engine.builtins().pem_end.find(window) {
                Some(end) => {
                    spans.push(Span { start: 0, end: end.end(), action: Action::Drop });
                    self.state.in_pem = false;
                    scan_from = end.end();
                }
                None => {
                    spans.push(Span { start: 0, end: WINDOW, action: Action::Drop });
                    scan_from = WINDOW;
                }
            }
        } else if let Some((indent, rule)) = self.state.block {
            self.state.block = None;
            if at_line_start && indentation(window) > indent {
                spans.push(Span { start: indentation(window), end: WINDOW, action: Action::Mask(rule) });
                open_from = Some((indentation(window), false));
                scan_from = WINDOW;
            }
        }
        if scan_from < WINDOW {
            let text = &window[scan_from..];
            let starts_line = at_line_start && scan_from == 0;
            if starts_line {
                self.state.env_value_loose = false;
                self.state.base64_answer = 0;
            }
            if self.state.env_value_next {
                self.state.env_value_next = false;
                if starts_line {
                    let before = spans.len();
                    engine.builtins().scan_env_value_line(text, scan_from, false, &mut spans);
                    if let Some(span) = spans[before..].iter().find(|span| span.end == WINDOW) {
                        open_from = Some((span.start, false));
                    }
                }
            }
            let before = spans.len();
            let effects = engine.scan_line(text, scan_from, starts_line, false, &mut spans);
            if let Some(open) = effects.pem_open {
                spans.push(Span { start: open, end: WINDOW, action: Action::Mask(R_PEM) });
                open_from = Some((open, true));
            }
            if effects.to_end_of_line.is_some()
                && let Some(span) = spans[before..].iter().find(|span| span.end == WINDOW)
            {
                open_from = Some((span.start, false));
            }
            self.user_spans(engine, text, scan_from, &mut spans);
            engine.scan_shapes(text, scan_from, &mut spans);
        } else if self.line_user_spans.is_some() {
            // Masked to the window's end by a multi-line state: a user span that began before still
            // continues (as a drop) so it is not written again.
            self.user_spans(engine, window, 0, &mut spans);
        }
        engine.filter_allowed(window, 0, &mut spans, 0);
        spans.sort_by_key(|span| span.start);
        let mut cut = WINDOW - OVERLAP;
        for span in &spans {
            if span.start < cut && span.end > cut {
                cut = span.end;
            }
        }
        let cut = cut.min(WINDOW);
        if let Some((start, is_pem)) = open_from
            && start < cut
        {
            if is_pem {
                self.state.in_pem = true;
            } else {
                self.state.rest_of_line = true;
            }
        }
        let mut emitted: Vec<Span> = Vec::with_capacity(spans.len());
        self.carry.clear();
        for span in spans {
            if span.start < cut {
                emitted.push(Span { end: span.end.min(cut), ..span });
            } else {
                self.carry.push(Span { start: span.start - cut, end: span.end - cut, ..span });
            }
        }
        engine.emit(&window[..cut], &mut emitted, out, &mut self.counts);
        self.mid_line = true;
        self.line_offset += cut;
        cut
    }

    /// One complete line (or the final piece of a long one), without its newline; applies the state machine.
    fn scan_complete_line(
        &mut self,
        engine: &Engine,
        line: &[u8],
        has_newline: bool,
        base: usize,
        at_line_start: bool,
        spans: &mut Vec<Span>,
    ) {
        let full_end = base + line.len() + usize::from(has_newline);
        if self.state.rest_of_line {
            spans.push(Span { start: base, end: base + line.len(), action: Action::Drop });
            self.state.rest_of_line = false;
            return;
        }
        if self.state.in_pem {
            if let Some(end) = engine.builtins().pem_end.find(line) {
                self.state.in_pem = false;
                let rest = &line[end.end()..];
                if rest.trim_ascii().is_empty() {
                    // The BEGIN line kept its newline; this one's goes with the block.
                    spans.push(Span { start: base, end: full_end, action: Action::Drop });
                } else {
                    spans.push(Span { start: base, end: base + end.end(), action: Action::Drop });
                    self.scan_text(engine, rest, base + end.end(), false, spans);
                }
                return;
            }
            if !at_line_start || is_pem_body_line(line) {
                spans.push(Span { start: base, end: full_end, action: Action::Drop });
                return;
            }
            // A line that cannot be part of a key: the block was truncated; scan it normally.
            self.state.in_pem = false;
        }
        if let Some((indent, rule)) = self.state.block {
            let blank = line.trim_ascii().is_empty();
            if at_line_start && (blank || indentation(line) > indent) {
                if !blank {
                    let end = base + line.trim_ascii_end().len();
                    spans.push(Span { start: base + indentation(line), end, action: Action::Mask(rule) });
                }
                return;
            }
            self.state.block = None;
        }
        if self.state.env_value_next || self.state.env_value_loose {
            let loose = !self.state.env_value_next;
            self.state.env_value_next = false;
            self.state.env_value_loose = false;
            if at_line_start {
                engine.builtins().scan_env_value_line(line, base, loose, spans);
            }
        }
        if self.state.base64_answer > 0 {
            self.state.base64_answer -= 1;
            if at_line_start && engine.builtins().scan_base64_answer(line, base, spans) {
                self.state.base64_answer = 0;
            }
        }
        self.scan_text(engine, line, base, at_line_start, spans);
    }

    fn scan_text(&mut self, engine: &Engine, text: &[u8], base: usize, at_line_start: bool, spans: &mut Vec<Span>) {
        let effects = engine.scan_line(text, base, at_line_start, true, spans);
        if let Some(open) = effects.pem_open {
            spans.push(Span { start: open, end: base + text.len(), action: Action::Mask(R_PEM) });
            self.state.in_pem = true;
        }
        if effects.env_value_next {
            self.state.env_value_next = true;
        }
        if effects.env_value_loose {
            self.state.env_value_loose = true;
        }
        if effects.base64_answer_next {
            self.state.base64_answer = 3;
        }
        if effects.block.is_some() {
            self.state.block = effects.block;
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
