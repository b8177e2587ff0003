// libFuzzer target: LineFramer over a byte stream cut into reads (scripts/fuzz).
// Input: byte 0 picks the line limit (1...48, so the edges come up often), byte 1 when the
// connection closes (0: never; n: the n-th item's callback returns false), the rest is the
// stream, cut into reads of 1 to 17 bytes by a generator seeded from both.
// Invariants, beyond not crashing (AddressSanitizer checks every borrowed line):
//  - the items are the reference's: split the whole stream at LF, drop one CR before it, a
//    line over the limit becomes one `.tooLong`, an unfinished last line nothing, whatever
//    the cuts;
//  - no line is over the limit or holds an LF (a CR inside a line is the sessions' to refuse);
//  - once a callback returns false, nothing more comes out of that read.

enum ReferenceFrame: Equatable {
    case line([UInt8])
    case tooLong
}

func referenceFrames(_ stream: ArraySlice<UInt8>, limit: Int) -> [ReferenceFrame] {
    var frames: [ReferenceFrame] = []
    var start = stream.startIndex
    while let newline = stream[start...].firstIndex(of: 0x0A) {
        var line = stream[start..<newline]
        if line.last == 0x0D { line = line.dropLast() }
        frames.append(line.count > limit ? .tooLong : .line(Array(line)))
        start = newline + 1
    }
    return frames
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineFramer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard input.count >= 2 else { return 0 }
    let limit = Int(input[0] % 48) + 1
    let closeAt = Int(input[1])
    let stream = Array(input[2...])
    var seed = UInt32(input[0]) << 8 | UInt32(input[1]) | 1

    var framer = LineFramer()
    var frames: [ReferenceFrame] = []
    var closed = false
    var offset = 0
    while offset < stream.count && !closed {
        seed = seed &* 1_103_515_245 &+ 12_345
        let end = min(stream.count, offset + 1 + Int(seed >> 16) % 17)
        stream[offset..<end].withUnsafeBytes { chunk in
            framer.feed(chunk, maxLineBytes: limit) { item in
                invariant(!closed, "an item came after the callback returned false", input: input)
                switch item {
                case .line(let line):
                    invariant(line.count <= limit, "a line of \(line.count) bytes passed the limit of \(limit)", input: input)
                    invariant(!line.contains(0x0A), "a line holds an LF", input: input)
                    frames.append(.line(Array(line)))
                case .tooLong:
                    frames.append(.tooLong)
                }
                closed = frames.count == closeAt
                return !closed
            }
        }
        offset = end
    }
    let expected = referenceFrames(stream[...], limit: limit)
    if closed {
        invariant(Array(expected.prefix(frames.count)) == frames, "got \(frames), the reference \(expected)", input: input)
    } else {
        invariant(expected == frames, "got \(frames), the reference \(expected) (limit \(limit))", input: input)
    }
    return 0
}
