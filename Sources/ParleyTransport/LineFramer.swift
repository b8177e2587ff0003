import Glibc

/// What the framer found in the byte stream.
public enum FramedLine {
    /// One line without its LF or CRLF; the bytes are borrowed for the callback only.
    case line(UnsafeRawBufferPointer)
    /// A line longer than the limit was discarded whole; the stream is in sync again.
    case tooLong
}

/// Splits a TCP byte stream into lines: LF or CRLF, any number per read, any split across reads.
///
/// Lines that arrive whole in one read are handed out without copying; only an unfinished
/// tail is kept. An over-long line is dropped up to its LF and reported once, so the next
/// line is read correctly.
public struct LineFramer {
    private var partial: [UInt8] = []
    private var discarding = false

    public init() {}

    /// Feeds one read's bytes; lines longer than `maxLineBytes` (without CR LF) are refused.
    /// `emit` returns false to stop after that line (the connection closed, or its fakelag is
    /// spent). Returns how many bytes were used: all of them, or up to the end of the line
    /// that stopped it, so the caller can feed the rest again later.
    @discardableResult
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, maxLineBytes: Int, _ emit: (FramedLine) -> Bool) -> Int {
        var start = 0
        let count = chunk.count
        while start < count {
            guard let newline = firstNewline(in: chunk, from: start) else {
                keepTail(chunk, from: start, maxLineBytes: maxLineBytes)
                return count
            }
            let keepGoing: Bool
            if discarding {
                discarding = false
                keepGoing = emit(.tooLong)
            } else if partial.isEmpty {
                keepGoing = emitLine(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]), maxLineBytes, emit)
            } else {
                partial.append(contentsOf: chunk[start..<newline])
                keepGoing = partial.withUnsafeBytes { emitLine($0, maxLineBytes, emit) }
                partial.removeAll(keepingCapacity: partial.count <= 1024)
            }
            start = newline + 1
            if !keepGoing { return start }
        }
        return count
    }

    private func firstNewline(in chunk: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = chunk.baseAddress else { return nil }
        guard let found = memchr(base + start, 0x0A, chunk.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    private func emitLine(_ line: UnsafeRawBufferPointer, _ maxLineBytes: Int, _ emit: (FramedLine) -> Bool) -> Bool {
        var body = line
        if let last = body.last, last == 0x0D {
            body = UnsafeRawBufferPointer(rebasing: body.dropLast())
        }
        return emit(body.count > maxLineBytes ? .tooLong : .line(body))
    }

    private mutating func keepTail(_ chunk: UnsafeRawBufferPointer, from start: Int, maxLineBytes: Int) {
        if discarding { return }
        partial.append(contentsOf: chunk[start...])
        // +1 leaves room for the CR of a CRLF that has not arrived yet.
        if partial.count > maxLineBytes + 1 {
            partial = []
            discarding = true
        }
    }
}
