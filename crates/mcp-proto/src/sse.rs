//! Incremental `text/event-stream` parser (WHATWG HTML "event stream interpretation").

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `None` means the default type `message`.
    pub event: Option<String>,
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen on the stream so far.
    pub id: Option<String>,
}

/// Feed it byte chunks as they arrive; it returns the events each chunk completes.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a LF starting the next one belongs to that line break.
    after_cr: bool,
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    last_id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut events);
                }
                b'\n' => self.end_line(&mut events),
                _ => self.line.push(byte),
            }
        }
        events
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        let mut text = String::from_utf8_lossy(&line).into_owned();
        if !self.started {
            self.started = true;
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                text = rest.to_owned();
            }
        }
        if text.is_empty() {
            self.dispatch(events);
            return;
        }
        if text.starts_with(':') {
            return;
        }
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_str(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        events.push(SseEvent {
            event: event.filter(|name| !name.is_empty()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        chunks.iter().flat_map(|chunk| parser.push(chunk)).collect()
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|event| event.data.as_str()).collect()
    }

    #[test]
    fn parses_event_data_and_id() {
        let events = parse_all(&[b"event: message\nid: 42\ndata: {\"a\":1}\n\n"]);
        assert_eq!(
            events,
            vec![SseEvent {
                event: Some("message".into()),
                data: "{\"a\":1}".into(),
                id: Some("42".into())
            }]
        );
    }

    #[test]
    fn joins_multi_line_data_and_keeps_only_one_leading_space() {
        let events = parse_all(&[b"data:first\ndata:  second\ndata\n\n"]);
        assert_eq!(data(&events), vec!["first\n second\n"]);
    }

    #[test]
    fn handles_crlf_and_cr_even_split_across_chunks() {
        let events = parse_all(&[b"data: a\r", b"\ndata: b\r\n\r", b"\ndata: c\r\r"]);
        assert_eq!(data(&events), vec!["a\nb", "c"]);
    }

    #[test]
    fn ignores_comments_unknown_fields_and_events_without_data() {
        let events =
            parse_all(&[b": keep-alive\n\nretry: 10\nfoo: bar\n\nevent: x\n\ndata: y\n\n"]);
        assert_eq!(data(&events), vec!["y"]);
        assert_eq!(
            events[0].event, None,
            "the type of a data-less block is dropped"
        );
    }

    #[test]
    fn an_unterminated_event_is_not_dispatched() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: partial\n").is_empty());
        assert_eq!(data(&parser.push(b"\n")), vec!["partial"]);
    }

    #[test]
    fn assembles_utf8_split_across_chunks_and_strips_bom() {
        let text = "\u{feff}data: h\u{e9}llo\n\n".as_bytes();
        let (head, tail) = text.split_at(11);
        let events = parse_all(&[head, tail]);
        assert_eq!(data(&events), vec!["h\u{e9}llo"]);
    }

    #[test]
    fn id_persists_and_a_nul_id_is_ignored() {
        let events = parse_all(&[b"id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n"]);
        let ids: Vec<_> = events.iter().map(|event| event.id.as_deref()).collect();
        assert_eq!(ids, vec![Some("1"), Some("1"), Some("1")]);
    }
}
