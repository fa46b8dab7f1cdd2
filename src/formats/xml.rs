//! A small XML writer for the documents rdpgen generates (GPO backup files, Group Policy
//! Preferences, ADMX/ADML): the one place where text becomes markup.
//!
//! Element and attribute names and fixed markup are `&'static str` chosen by rdpgen; every
//! other string (display names, domains, descriptions, explain texts) goes through
//! [`escape_text`], [`escape_attribute`] or [`XmlWriter::cdata`], which refuse characters XML 1.0
//! cannot carry instead of writing a file no parser accepts. Output is deterministic: no
//! reordering, no whitespace of its own (callers choose the layout with [`XmlWriter::raw`]).
//!
//! Reading is left to `quick-xml` (tests read generated documents back with it).

use std::fmt;

use thiserror::Error;

/// Why a document could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XmlError {
    /// A character outside XML 1.0's `Char` production (C0 controls other than tab, line
    /// feed and carriage return; U+FFFE; U+FFFF).
    #[error("U+{:04X} cannot appear in an XML document ({context})", u32::from(*character))]
    IllegalCharacter {
        character: char,
        context: &'static str,
    },
    /// A comment that would contain `--` or end with `-`.
    #[error("an XML comment cannot contain `--` or end with `-`")]
    BadComment,
    /// `close` without a matching `open`, or `finish` with elements still open.
    #[error("unbalanced elements: {0}")]
    Unbalanced(String),
}

/// Whether XML 1.0 allows `c` in a document (`Char` production, §2.2).
#[must_use]
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check(text: &str, context: &'static str) -> Result<(), XmlError> {
    match text.chars().find(|c| !is_xml_char(*c)) {
        Some(character) => Err(XmlError::IllegalCharacter { character, context }),
        None => Ok(()),
    }
}

/// `text` as character data: `&`, `<` and `>` become entities (quick-xml's `partial_escape`;
/// `>` so that `]]>` can never appear), a carriage return becomes `&#13;` so that end-of-line
/// normalisation cannot drop it.
///
/// # Errors
/// A character XML cannot carry.
pub fn escape_text(text: &str) -> Result<String, XmlError> {
    check(text, "text")?;
    Ok(quick_xml::escape::partial_escape(text).replace('\r', "&#13;"))
}

/// `text` as a double- or single-quoted attribute value: the five predefined entities
/// (quick-xml's `escape`), and tab, line feed and carriage return as character references
/// (attribute-value normalisation would otherwise turn them into spaces).
///
/// # Errors
/// A character XML cannot carry.
pub fn escape_attribute(text: &str) -> Result<String, XmlError> {
    check(text, "attribute")?;
    let escaped = quick_xml::escape::escape(text);
    if !escaped.contains(['\t', '\n', '\r']) {
        return Ok(escaped.into_owned());
    }
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        match c {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Text that came from outside (host names, messages read from snapshots) made safe to show:
/// characters XML cannot carry, other control characters (C0 and C1, but tab, line feed and
/// carriage return) and bidirectional controls (which would reorder what a reader sees)
/// become U+FFFD, so a report never fails and never misleads.
#[must_use]
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || !is_xml_char(c)
            || super::text::is_bidi_control(c)
    };
    if text.contains(bad) {
        text.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// Untrusted `text` for the reports: [`neutralise`]d, then markup-escaped with quick-xml's
/// `escape` (the five predefined entities), which is safe in XML and HTML text and in quoted
/// attributes. The HTML report escapes every string with this; the JUnit report is written
/// with [`XmlWriter::neutralising`].
#[must_use]
pub fn escape_untrusted(text: &str) -> String {
    quick_xml::escape::escape(neutralise(text).as_ref()).into_owned()
}

/// `text` as one or more CDATA sections: `]]>` inside the text is split across two sections
/// (`]]` ends one, `>` starts the next), so a parser returns `text` unchanged. Carriage returns
/// are kept as they are (CDATA cannot hold references); no rdpgen value carries one.
///
/// # Errors
/// A character XML cannot carry.
pub fn cdata(text: &str) -> Result<String, XmlError> {
    check(text, "CDATA")?;
    Ok(format!(
        "<![CDATA[{}]]>",
        text.replace("]]>", "]]]]><![CDATA[>")
    ))
}

/// Builds one document as a `String`. Errors are kept until [`XmlWriter::finish`], so callers
/// write straight-line code.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
    error: Option<XmlError>,
    /// Whether text and attribute values are [`neutralise`]d instead of refused.
    neutralising: bool,
}

impl XmlWriter {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer for text that came from outside (the JUnit report of hosts): characters XML
    /// cannot carry and bidirectional controls in text and attribute values are
    /// [`neutralise`]d to U+FFFD instead of refused.
    #[must_use]
    pub fn neutralising() -> Self {
        Self {
            neutralising: true,
            ..Self::default()
        }
    }

    fn clean<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if self.neutralising {
            neutralise(text)
        } else {
            text.into()
        }
    }

    /// What has been written since the last call, for a document written in parts (a report
    /// streamed host by host); open elements stay open for the next part.
    ///
    /// # Errors
    /// The first problem met while writing.
    pub fn take(&mut self) -> Result<String, XmlError> {
        if let Some(e) = self.error.clone() {
            return Err(e);
        }
        Ok(std::mem::take(&mut self.out))
    }

    fn fail(&mut self, error: XmlError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Fixed markup chosen by rdpgen: the XML declaration, indentation, line breaks.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// `<!-- text -->`.
    pub fn comment(&mut self, text: &str) -> &mut Self {
        if text.contains("--") || text.ends_with('-') {
            self.fail(XmlError::BadComment);
        } else if let Err(e) = check(text, "comment") {
            self.fail(e);
        } else {
            self.out.push_str("<!--");
            self.out.push_str(text);
            self.out.push_str("-->");
        }
        self
    }

    fn start_tag(&mut self, name: &'static str, attributes: &[(&'static str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            match escape_attribute(&self.clean(value)) {
                Ok(v) => {
                    self.out.push(' ');
                    self.out.push_str(key);
                    self.out.push_str("=\"");
                    self.out.push_str(&v);
                    self.out.push('"');
                }
                Err(e) => self.fail(e),
            }
        }
    }

    /// `<name a="v" ...>`.
    pub fn open(&mut self, name: &'static str, attributes: &[(&'static str, &str)]) -> &mut Self {
        self.start_tag(name, attributes);
        self.out.push('>');
        self.open.push(name);
        self
    }

    /// `<name a="v" .../>`.
    pub fn empty(&mut self, name: &'static str, attributes: &[(&'static str, &str)]) -> &mut Self {
        self.start_tag(name, attributes);
        self.out.push_str("/>");
        self
    }

    /// `</name>` of the innermost open element, which must be `name`.
    pub fn close(&mut self, name: &'static str) -> &mut Self {
        match self.open.pop() {
            Some(open) if open == name => {
                self.out.push_str("</");
                self.out.push_str(name);
                self.out.push('>');
            }
            other => self.fail(XmlError::Unbalanced(format!(
                "`</{name}>` closes `{}`",
                other.unwrap_or("nothing")
            ))),
        }
        self
    }

    /// Escaped character data.
    pub fn text(&mut self, text: &str) -> &mut Self {
        match escape_text(&self.clean(text)) {
            Ok(t) => self.out.push_str(&t),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Character data in CDATA sections (as Group Policy's backup files hold it).
    pub fn cdata(&mut self, text: &str) -> &mut Self {
        match cdata(text) {
            Ok(t) => self.out.push_str(&t),
            Err(e) => self.fail(e),
        }
        self
    }

    /// `<name a="v">text</name>`.
    pub fn text_element(
        &mut self,
        name: &'static str,
        attributes: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Self {
        self.open(name, attributes).text(text).close(name)
    }

    /// `<name><![CDATA[text]]></name>`.
    pub fn cdata_element(&mut self, name: &'static str, text: &str) -> &mut Self {
        self.open(name, &[]).cdata(text).close(name)
    }

    /// The document.
    ///
    /// # Errors
    /// The first problem met while writing, or elements left open.
    pub fn finish(self) -> Result<String, XmlError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(open) = self.open.last() {
            return Err(XmlError::Unbalanced(format!("`<{open}>` is never closed")));
        }
        Ok(self.out)
    }
}

impl fmt::Display for XmlWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.out)
    }
}

/// `text` as UTF-16LE with a byte-order mark, the encoding of `gpreport.xml` and of security
/// templates.
#[must_use]
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + 2 * text.len());
    out.extend_from_slice(&[0xFF, 0xFE]);
    super::utf16::push_le(&mut out, text);
    out
}

/// `text` as UTF-8 with a byte-order mark (ADMX/ADML as Windows ships them).
#[must_use]
pub fn utf8_with_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + text.len());
    out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
    out.extend_from_slice(text.as_bytes());
    out
}

/// An element read back by [`parse`]: the qualified name as written, attributes in document
/// order (values unescaped and normalised), children in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

/// A child of an [`Element`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Character data (text, references and CDATA sections, adjacent ones merged).
    Text(String),
}

impl Element {
    /// The name without its namespace prefix.
    #[must_use]
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// The value of the attribute with this qualified name.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements with this local name.
    pub fn elements_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.local_name() == local)
    }

    /// The first child element with this local name.
    #[must_use]
    pub fn element(&self, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.local_name() == local)
    }

    /// The concatenated character data directly inside this element.
    #[must_use]
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// Every element of the subtree (this one first), depth first.
    #[must_use]
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for child in self.elements() {
            out.extend(child.descendants());
        }
        out
    }
}

/// Why [`parse`] refused a document.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("XML at byte {position}: {message}")]
pub struct XmlReadError {
    pub position: u64,
    pub message: String,
}

/// How deep [`parse`] lets elements nest (Microsoft's ADMX and GPO reports need under 20).
pub const MAX_DEPTH: usize = 256;

/// Reads a whole document (a leading byte-order mark is skipped) into its root [`Element`].
/// Comments, processing instructions and the declaration are dropped.
///
/// # Errors
/// Malformed XML, an unknown entity, or not exactly one root element.
pub fn parse(document: &str) -> Result<Element, XmlReadError> {
    use quick_xml::events::Event;

    let document = document.strip_prefix('\u{FEFF}').unwrap_or(document);
    let mut reader = quick_xml::Reader::from_str(document);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let error = |reader: &quick_xml::Reader<&[u8]>, message: String| XmlReadError {
        position: reader.buffer_position(),
        message,
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| error(&reader, e.to_string()))?;
        let empty = matches!(event, Event::Empty(_));
        let text = match event {
            Event::Start(start) | Event::Empty(start) => {
                let mut element = Element {
                    name: start.name().as_ref().to_string(),
                    attributes: Vec::new(),
                    children: Vec::new(),
                };
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|e| error(&reader, e.to_string()))?;
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| error(&reader, e.to_string()))?;
                    element
                        .attributes
                        .push((attribute.key.as_ref().to_string(), value.into_owned()));
                }
                if empty {
                    attach(&mut stack, &mut root, element).map_err(|m| error(&reader, m))?;
                } else if stack.len() >= MAX_DEPTH {
                    // The tree is dropped (and walked) recursively: a hostile nesting must
                    // not overflow the stack.
                    return Err(error(
                        &reader,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                } else {
                    stack.push(element);
                }
                continue;
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| error(&reader, "end tag without start".into()))?;
                attach(&mut stack, &mut root, element).map_err(|m| error(&reader, m))?;
                continue;
            }
            Event::Text(t) => t
                .xml_content(quick_xml::XmlVersion::Implicit1_0)
                .into_owned(),
            Event::CData(c) => c.into_inner().into_owned(),
            Event::GeneralRef(r) => {
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| error(&reader, e.to_string()))?
                {
                    c.to_string()
                } else {
                    let name = r.into_inner();
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| error(&reader, format!("unknown entity `&{name};`")))?
                        .to_string()
                }
            }
            Event::Eof => break,
            _ => continue,
        };
        match stack.last_mut() {
            Some(parent) => match parent.children.last_mut() {
                Some(Node::Text(previous)) => previous.push_str(&text),
                _ => parent.children.push(Node::Text(text)),
            },
            None if text.trim().is_empty() => {}
            None => return Err(error(&reader, "text outside the root element".into())),
        }
    }
    if !stack.is_empty() {
        return Err(error(&reader, "unclosed element at end of document".into()));
    }
    root.ok_or_else(|| error(&reader, "no root element".into()))
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(Node::Element(element));
            Ok(())
        }
        None if root.is_none() => {
            *root = Some(element);
            Ok(())
        }
        None => Err("more than one root element".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        let e = parse(&deep(200_000)).unwrap_err();
        assert!(e.message.contains("nested deeper"), "{e}");
    }

    /// Every string a policy may carry, read back by quick-xml's parser.
    fn round_trip(value: &str) {
        let mut w = XmlWriter::new();
        w.open("r", &[("a", value)])
            .text_element("t", &[], value)
            .cdata_element("c", value)
            .close("r");
        let doc = w.finish().unwrap();
        let root = parse(&doc).unwrap();
        assert_eq!(root.attribute("a"), Some(value), "{doc}");
        assert_eq!(root.element("t").unwrap().text(), value, "{doc}");
        assert_eq!(root.element("c").unwrap().text(), value, "{doc}");
    }

    #[test]
    fn hostile_strings_survive_every_position() {
        for value in [
            "plain",
            "<script>&amp;\"'",
            "a]]>b]]>",
            "]]]]>",
            "Ümlaut — 日本語 🚀",
            "tab\there\nnew line",
            "",
        ] {
            round_trip(value);
        }
    }

    #[test]
    fn carriage_returns_survive_text_and_attributes() {
        let mut w = XmlWriter::new();
        w.text_element("t", &[("a", "x\r\ny\rz")], "x\r\ny\rz");
        let doc = w.finish().unwrap();
        assert!(!doc.contains('\r'), "{doc}");
        let root = parse(&doc).unwrap();
        assert_eq!(root.attribute("a"), Some("x\r\ny\rz"));
        assert_eq!(root.text(), "x\r\ny\rz");
    }

    #[test]
    fn illegal_characters_are_refused() {
        for bad in ["\u{0}", "a\u{1b}b", "\u{FFFE}", "\u{FFFF}"] {
            let mut w = XmlWriter::new();
            w.open("r", &[]).text(bad).close("r");
            assert!(matches!(w.finish(), Err(XmlError::IllegalCharacter { .. })));
            assert!(escape_attribute(bad).is_err());
            assert!(cdata(bad).is_err());
        }
    }

    #[test]
    fn comments_and_nesting_are_checked() {
        let mut w = XmlWriter::new();
        w.comment("a -- b");
        assert_eq!(w.finish(), Err(XmlError::BadComment));
        let mut w = XmlWriter::new();
        w.open("a", &[]).close("b");
        assert!(matches!(w.finish(), Err(XmlError::Unbalanced(_))));
        let mut w = XmlWriter::new();
        w.open("a", &[]);
        assert!(matches!(w.finish(), Err(XmlError::Unbalanced(_))));
    }

    #[test]
    fn untrusted_text_is_escaped_and_neutralised() {
        assert_eq!(
            escape_untrusted("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(
            escape_untrusted("a\u{0}b\u{1b}c\td\u{85}e\u{FFFE}"),
            "a\u{FFFD}b\u{FFFD}c\td\u{FFFD}e\u{FFFD}"
        );
        assert_eq!(escape_untrusted("]]>"), "]]&gt;");
        assert_eq!(
            escape_untrusted("a\u{202E}b\u{2066}c"),
            "a\u{FFFD}b\u{FFFD}c"
        );
    }

    #[test]
    fn a_neutralising_writer_never_fails_on_hostile_text() {
        let hostile = "x\u{0}]]></testcase><testcase name=\"evil\">\u{202E}\u{1b}[31m";
        let mut w = XmlWriter::neutralising();
        w.open("r", &[("a", hostile)]).text(hostile);
        let first = w.take().unwrap();
        w.close("r");
        let doc = first + &w.finish().unwrap();
        let root = parse(&doc).unwrap();
        let shown = "x\u{FFFD}]]></testcase><testcase name=\"evil\">\u{FFFD}\u{FFFD}[31m";
        assert_eq!(root.attribute("a"), Some(shown), "{doc}");
        assert_eq!(root.text(), shown, "{doc}");
        assert_eq!(root.elements().count(), 0, "{doc}");
    }

    #[test]
    fn cdata_splits_its_terminator() {
        assert_eq!(cdata("a]]>b").unwrap(), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(escape_text("]]>").unwrap(), "]]&gt;");
    }

    #[test]
    fn encodings_carry_their_byte_order_marks() {
        assert_eq!(utf16le_with_bom("<a"), [0xFF, 0xFE, 0x3C, 0, 0x61, 0]);
        assert_eq!(utf8_with_bom("<"), [0xEF, 0xBB, 0xBF, 0x3C]);
    }
}
