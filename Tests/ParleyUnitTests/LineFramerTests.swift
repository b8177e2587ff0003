import XCTest
@testable import ParleyTransport

final class LineFramerTests: XCTestCase {
    /// Feeds chunks and returns what came out, lines as strings and "<too long>" markers.
    private func frame(_ chunks: [[UInt8]], max: Int = 10) -> [String] {
        var framer = LineFramer()
        var out: [String] = []
        for chunk in chunks {
            _ = chunk.withUnsafeBytes { bytes in
                framer.feed(bytes, maxLineBytes: max) { item in
                    switch item {
                    case .line(let line): out.append(String(decoding: line, as: UTF8.self))
                    case .tooLong: out.append("<too long>")
                    }
                    return true
                }
            }
        }
        return out
    }

    func testSeveralLinesInOneChunkWithLFAndCRLF() {
        XCTAssertEqual(frame([Array("a\nb\r\n\nc\r\n".utf8)]), ["a", "b", "", "c"])
    }

    func testEverySplitPointGivesTheSameLines() {
        let stream = Array("hello\r\nworld\nlast\r\n".utf8)
        for cut in 0...stream.count {
            XCTAssertEqual(frame([Array(stream[..<cut]), Array(stream[cut...])]), ["hello", "world", "last"], "cut at \(cut)")
        }
        XCTAssertEqual(frame(stream.map { [$0] }), ["hello", "world", "last"])
    }

    func testUnfinishedLineIsHeldUntilItsNewline() {
        XCTAssertEqual(frame([Array("partial".utf8)]), [])
        XCTAssertEqual(frame([Array("part".utf8), Array("ial\n".utf8)]), ["partial"])
    }

    func testLimitIsInclusiveAndExcludesCRLF() {
        XCTAssertEqual(frame([Array("0123456789\r\n".utf8)]), ["0123456789"])
        XCTAssertEqual(frame([Array("0123456789X\nok\n".utf8)]), ["<too long>", "ok"])
    }

    func testOverLongLineAcrossChunksIsReportedOnceAndStreamResyncs() {
        let chunks = [Array("0123456789".utf8), Array("abcdefghij".utf8), Array("klm\nnext\n".utf8)]
        XCTAssertEqual(frame(chunks), ["<too long>", "next"])
        XCTAssertEqual(frame(Array("01234567890123\nok\n".utf8).map { [$0] }), ["<too long>", "ok"])
    }

    func testEmitReturningFalseStopsTheChunk() {
        var framer = LineFramer()
        var seen: [String] = []
        _ = Array("one\ntwo\nthree\n".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes, maxLineBytes: 100) { item in
                if case .line(let line) = item { seen.append(String(decoding: line, as: UTF8.self)) }
                return seen.count < 2
            }
        }
        XCTAssertEqual(seen, ["one", "two"])
    }

    func testStoppingEarlySaysHowMuchWasUsedSoTheRestCanBeFedLater() {
        var framer = LineFramer()
        var out: [String] = []
        let stream = Array("one\r\ntwo\nthree\nfour".utf8)
        let used = stream.withUnsafeBytes { bytes in
            framer.feed(bytes, maxLineBytes: 10) { item in
                if case .line(let line) = item { out.append(String(decoding: line, as: UTF8.self)) }
                return out.count < 2
            }
        }
        XCTAssertEqual(out, ["one", "two"])
        XCTAssertEqual(used, 9, "up to the end of the line that stopped it")
        let rest = Array(stream[used...]) + Array("\n".utf8)
        let all = rest.withUnsafeBytes { bytes in
            framer.feed(bytes, maxLineBytes: 10) { item in
                if case .line(let line) = item { out.append(String(decoding: line, as: UTF8.self)) }
                return true
            }
        }
        XCTAssertEqual(all, rest.count)
        XCTAssertEqual(out, ["one", "two", "three", "four"])
    }
}
