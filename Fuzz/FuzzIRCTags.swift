// libFuzzer target: the IRCv3 tag section of a line (the bytes after '@', up to the first
// space), parsed as the front of "@<input> PING" (scripts/fuzz). Invariants, beyond not crashing:
//  - the tags agree with the byte-level reference: keys, unescaped values, duplicates and order;
//  - keys are not empty, hold no ';', '=' or space, and no two are the same;
//  - escaping any text and unescaping it gives the text back, and the escaped form holds no
//    ';', space, CR or LF, which would end the tag or the line. (NUL has no escape; no text
//    the server renders holds one: sessions refuse it and so does the plugin host.)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIRCTags(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let section = input.prefix { $0 != UInt8(ascii: " ") }
    let line = "@" + String(decoding: section, as: UTF8.self) + " PING"
    let parsed = Result { () throws(IRCMessage.ParseError) in try IRCMessage.parse(Substring(line)) }
    let sectionBytes = line.utf8.count - " PING".utf8.count
    switch parsed {
    case .failure(let error):
        invariant(error == .tagsTooLong && sectionBytes + 1 > IRCMessage.maxTagBytes,
                  "parse failed with \(error) for a tag section of \(sectionBytes) bytes", input: input)
    case .success(let message):
        invariant(sectionBytes + 1 <= IRCMessage.maxTagBytes, "a tag section of \(sectionBytes) bytes was accepted", input: input)
        invariant(message.command == "PING" && message.params.isEmpty && message.source == nil,
                  "the tags spilled into the rest of the line: \(message.reference)", input: input)
        let expected = ReferenceIRC.tags(line.bytes[1..<sectionBytes])
        invariant(message.reference.tags == expected, "tags \(message.reference.tags), the reference \(expected)", input: input)
        var keys = Set<String>()
        for tag in message.tags {
            invariant(!tag.key.isEmpty && !tag.key.utf8.contains { $0 == 0x3B || $0 == 0x3D || $0 == 0x20 },
                      "bad key \(tag.key.debugDescription)", input: input)
            invariant(keys.insert(tag.key).inserted, "the key \(tag.key.debugDescription) appears twice", input: input)
            checkEscapeRoundTrip(tag.value, input: input)
        }
    }
    // Any text at all, as a value a plugin or the server might send.
    checkEscapeRoundTrip(String(decoding: input, as: UTF8.self), input: input)
    return 0
}

func checkEscapeRoundTrip(_ value: String, input: UnsafeBufferPointer<UInt8>) {
    let escaped = IRCMessage.escapeTagValue(value)
    invariant(!escaped.utf8.contains { $0 == 0x3B || $0 == 0x20 || $0 == 0x0D || $0 == 0x0A },
              "the escaped value \(escaped.debugDescription) holds a separator", input: input)
    let back = IRCMessage.unescapeTagValue(Substring(escaped))
    invariant(back.bytes == value.bytes, "escape then unescape turned \(value.debugDescription) into \(back.debugDescription)",
              input: input)
}
