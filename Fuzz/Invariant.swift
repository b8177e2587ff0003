// Shared by every fuzz target (scripts/fuzz compiles each target from its own files plus the
// server sources it fuzzes, as one module, so internal API is reachable).

/// Stops the run with a message naming the broken invariant and the input, so libFuzzer
/// keeps the input as a crash file. Not `assert`: the targets are built with -O.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
               input: some Collection<UInt8>) {
    guard !condition() else { return }
    let shown = String(decoding: input.prefix(300), as: UTF8.self).debugDescription
    fatalError("fuzz invariant broken: \(message())\n  input (\(input.count) bytes): \(shown)")
}

/// The bytes libFuzzer hands a target, as a buffer (a NULL pointer comes with size 0).
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
}

extension StringProtocol {
    var bytes: [UInt8] { Array(utf8) }
}
