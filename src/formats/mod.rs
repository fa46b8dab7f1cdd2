//! Byte codecs for Windows registry file formats: read and write, no policy knowledge.
