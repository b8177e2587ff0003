import CParleyPlugin
import CParleySys
import Glibc
import ParleyBytes
import ParleyChat

/// A command a plugin registered: free-form (the plugin parses) or typed (the host parses
/// and calls a C function through libffi).
final class PluginCommand {
    enum Kind {
        case freeform(parley_command_fn, UnsafeMutableRawPointer?)
        case typed(TypedSignature)
    }

    let name: String
    let usage: String
    let help: String
    let owner: LoadedPlugin
    let kind: Kind

    init(name: String, usage: String, help: String, owner: LoadedPlugin, kind: Kind) {
        self.name = name
        self.usage = usage
        self.help = help
        self.owner = owner
        self.kind = kind
    }
}

/// A typed command's declared C signature, copied at registration.
struct TypedSignature {
    struct Argument {
        let name: String
        let type: UInt32
        let range: ClosedRange<Int64>
    }

    let returnType: UInt32
    let arguments: [Argument]
    let function: @convention(c) () -> Void

    var usage: String {
        arguments.map { argument in
            switch argument.type {
            case PARLEY_TYPE_INT32.rawValue, PARLEY_TYPE_INT64.rawValue:
                return "<\(argument.name) \(argument.range.lowerBound)..\(argument.range.upperBound)>"
            case PARLEY_TYPE_DOUBLE.rawValue: return "<\(argument.name) number>"
            default: return "<\(argument.name)>"
            }
        }.joined(separator: " ")
    }

    /// One parsed argument value, ready to hand to libffi.
    enum Value {
        case int32(Int32)
        case int64(Int64)
        case double(Double)
        case string(String)
    }

    /// Parses and range-checks the words; nil with the reason when they do not fit.
    func parse(_ text: String) -> Result<[Value], TypedCommandError> {
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let last = arguments.last, last.type == PARLEY_TYPE_STRING.rawValue, words.count > arguments.count {
            // A string last argument takes the rest of the line.
            let rest = words[(arguments.count - 1)...].joined(separator: " ")
            words = Array(words[..<(arguments.count - 1)]) + [rest]
        }
        guard words.count == arguments.count else {
            return .failure(.init("expected \(arguments.count) argument\(arguments.count == 1 ? "" : "s"), got \(words.count)"))
        }
        var values: [Value] = []
        for (argument, word) in zip(arguments, words) {
            switch argument.type {
            case PARLEY_TYPE_INT32.rawValue, PARLEY_TYPE_INT64.rawValue:
                guard let number = Int64(word) else { return .failure(.init("\(argument.name) must be a whole number, not '\(word)'")) }
                guard argument.range.contains(number) else {
                    return .failure(.init("\(argument.name) must be from \(argument.range.lowerBound) to \(argument.range.upperBound), not \(number)"))
                }
                values.append(argument.type == PARLEY_TYPE_INT32.rawValue ? .int32(Int32(number)) : .int64(number))
            case PARLEY_TYPE_DOUBLE.rawValue:
                guard let number = Double(word), number.isFinite else {
                    return .failure(.init("\(argument.name) must be a number, not '\(word)'"))
                }
                values.append(.double(number))
            default:
                values.append(.string(word))
            }
        }
        return .success(values)
    }

    /// Calls the C function with the parsed values; returns its result as text.
    func invoke(_ values: [Value], maxTextBytes: Int) -> String? {
        let slots = values.map { _ in UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8) }
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer {
            slots.forEach { $0.deallocate() }
            strings.forEach { free($0) }
        }
        for (slot, value) in zip(slots, values) {
            switch value {
            case .int32(let number): slot.storeBytes(of: number, as: Int32.self)
            case .int64(let number): slot.storeBytes(of: number, as: Int64.self)
            case .double(let number): slot.storeBytes(of: number, as: Double.self)
            case .string(let text):
                let copy = strdup(text)!
                strings.append(copy)
                slot.storeBytes(of: copy, as: UnsafeMutablePointer<CChar>.self)
            }
        }
        var types = arguments.map(\.type)
        var argumentPointers: [UnsafeMutableRawPointer?] = slots
        var result: UInt64 = 0
        let status = withUnsafeMutableBytes(of: &result) { resultBytes in
            parley_ffi_invoke(function, returnType, UInt32(types.count), &types, &argumentPointers, resultBytes.baseAddress)
        }
        guard status == 0 else { return nil }
        return withUnsafeBytes(of: &result) { bytes in
            switch returnType {
            case PARLEY_TYPE_INT32.rawValue: return "\(bytes.load(as: Int32.self))"
            case PARLEY_TYPE_INT64.rawValue: return "\(bytes.load(as: Int64.self))"
            case PARLEY_TYPE_DOUBLE.rawValue: return "\(bytes.load(as: Double.self))"
            case PARLEY_TYPE_STRING.rawValue:
                guard let pointer = bytes.load(as: UnsafePointer<CChar>?.self) else { return "" }
                return parley_str(ptr: pointer, len: strlen(pointer)).copyText(limit: maxTextBytes) ?? "(invalid text)"
            default: return "done"
            }
        }
    }
}

struct TypedCommandError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A command call in progress, so host->reply can find the caller.
final class CommandCall {
    let pointer: UnsafeRawPointer
    let caller: ChatUser
    let owner: LoadedPlugin

    init(pointer: UnsafeRawPointer, caller: ChatUser, owner: LoadedPlugin) {
        self.pointer = pointer
        self.caller = caller
        self.owner = owner
    }
}

extension PluginHost: ChatCommands {
    public var commandHelp: [CommandHelp] {
        commands.values.sorted { $0.name < $1.name }.map {
            CommandHelp(usage: "/\($0.name)" + ($0.usage.isEmpty ? "" : " \($0.usage)"), help: $0.help)
        }
    }

    /// Runs a plugin command for `caller`. Returns false when no plugin has that command.
    /// Replies reach the caller as server notices; a typed command's result goes to the room.
    public func runCommand(_ name: String, arguments: String, caller: ChatUser, room: Room?) -> Bool {
        guard let command = commands[Casemapping.fold(name)], command.owner.state == .running else { return false }
        switch command.kind {
        case .freeform(let function, let userdata):
            var commandName = command.name
            var args = arguments
            var nick = caller.nick
            var roomName = room?.name ?? ""
            nick.withParleyStr { nickStr in
                roomName.withParleyStr { roomStr in
                    commandName.withParleyStr { nameStr in
                        args.withParleyStr { argsStr in
                            var raw = parley_command_call(size: MemoryLayout<parley_command_call>.size, caller: caller.id,
                                                          caller_nick: nickStr, room: roomStr, name: nameStr, args: argsStr)
                            withUnsafePointer(to: &raw) { pointer in
                                let call = CommandCall(pointer: UnsafeRawPointer(pointer), caller: caller, owner: command.owner)
                                let outer = currentCommand
                                currentCommand = call
                                defer { currentCommand = outer }
                                command.owner.call("command", detail: "/\(command.name)") { function(command.owner.handle, userdata, pointer) }
                            }
                        }
                    }
                }
            }
        case .typed(let signature):
            switch signature.parse(arguments) {
            case .failure(let error):
                notify(caller, "usage: /\(command.name) \(command.usage) - \(error.reason)")
            case .success(let values):
                guard let result = command.owner.call("command", detail: "/\(command.name)", { signature.invoke(values, maxTextBytes: maxTextBytes) }) else {
                    notify(caller, "/\(command.name) failed: libffi could not prepare the call")
                    return true
                }
                let line = "\(caller.nick): /\(command.name) \(arguments.trimmingCharacters(in: " \t")) = \(result)"
                if let room, room.contains(caller) {
                    chat.sendServerNotice(line, to: room.members)
                } else {
                    notify(caller, line)
                }
            }
        }
        return true
    }

    func notify(_ user: ChatUser, _ text: String) {
        chat.sendServerNotice(text, to: CollectionOfOne(user))
    }

    func register(_ command: PluginCommand) -> Int32 {
        let key = Casemapping.fold(command.name)
        guard NameRules.isCommandName(key) else {
            return refuse(command.owner, "command name '\(command.name)'", "use letters, digits, - and _ (32 at most)",
                          outcome: "no command was added")
        }
        if reservedCommandNames.contains(key) {
            return refuse(command.owner, "/\(command.name)", "the command is built in", code: Int32(PARLEY_ERR_EXISTS),
                          outcome: "no command was added")
        }
        if let existing = commands[key], existing.owner.state != .retired {
            return refuse(command.owner, "/\(command.name)", "the command is already registered by \(existing.owner.name)",
                          code: Int32(PARLEY_ERR_EXISTS), outcome: "no command was added")
        }
        commands[key] = command
        command.owner.commandNames.append(key)
        return Int32(PARLEY_OK)
    }
}

extension NameRules {
    static func isCommandName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32 && name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
        }
    }
}
