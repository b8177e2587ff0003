// libFuzzer target: one IRC line, as a session gets it from the framer (scripts/fuzz).
// Invariants, beyond not crashing:
//  - IRCMessage.parse agrees with the byte-level reference parser on every field, or on the error;
//  - a line the session accepts (no NUL, no CR) renders back to a line that parses to the
//    same message, byte for byte, and ends with its only CR LF.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIRCParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    // What IRCSession does with a framed line: repair invalid UTF-8, then parse.
    let line = String(decoding: input, as: UTF8.self)
    let parsed = Result { () throws(IRCMessage.ParseError) in try IRCMessage.parse(Substring(line)) }
    let expected = ReferenceIRC.parse(line.bytes)
    switch (parsed, expected) {
    case (.success(let message), .success(let reference)):
        invariant(message.reference == reference, "parse gave \(message.reference), the reference \(reference)", input: input)
    case (.failure(let error), .failure(let reference)):
        invariant(error.reference == reference, "parse failed with \(error), the reference with \(reference)", input: input)
        return 0
    default:
        invariant(false, "parse gave \(parsed), the reference \(expected)", input: input)
    }
    guard case .success(let message) = parsed, !input.contains(0), !input.contains(0x0D), !input.contains(0x0A) else { return 0 }

    var wire: [UInt8] = []
    message.appendWireForm(to: &wire)
    invariant(wire.suffix(2) == [0x0D, 0x0A], "the wire form does not end with CR LF", input: input)
    invariant(!wire.dropLast(2).contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 },
              "the wire form has a CR, LF or NUL inside: \(wire)", input: input)
    let again = Result { () throws(IRCMessage.ParseError) in try IRCMessage.parse(Substring(message.serialized)) }
    switch again {
    case .success(let reparsed):
        invariant(reparsed.reference == message.reference,
                  "render then parse changed the message: \(message.reference) became \(reparsed.reference)", input: input)
    case .failure(let error):
        invariant(false, "the rendered line \(message.serialized.debugDescription) does not parse: \(error)", input: input)
    }
    return 0
}
