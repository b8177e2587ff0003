/// The one casemapping rule used for every nick and room comparison, on every front-end.
/// `ascii`: A-Z fold to a-z and nothing else, as ISUPPORT CASEMAPPING=ascii advertises.
public enum Casemapping {
    public static let name = "ascii"

    public static func fold(_ text: String) -> String {
        var utf8 = Array(text.utf8)
        var changed = false
        for index in utf8.indices where utf8[index] >= 0x41 && utf8[index] <= 0x5A {
            utf8[index] |= 0x20
            changed = true
        }
        return changed ? String(decoding: utf8, as: UTF8.self) : text
    }
}
