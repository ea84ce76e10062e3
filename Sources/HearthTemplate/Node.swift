/// The parsed form of a template: Go's `text/template/parse` node kinds that Hearth executes.
indirect enum Node: Sendable {
    case text(String)
    /// `{{pipeline}}`: printed unless it declares variables.
    case action(Pipeline)
    case ifNode(Pipeline, [Node], else: [Node])
    case range(Pipeline, [Node], else: [Node])
    case with(Pipeline, [Node], else: [Node])
    /// `{{template "name" pipeline}}`.
    case template(name: String, Pipeline?, Position)
    case breakLoop
    case continueLoop
}

/// Where a command starts, and its text, for error messages.
struct Position: Sendable {
    var line: Int
    var column: Int
}

/// `$x := cmd | cmd`: optional variable declarations, then commands whose results feed the next.
struct Pipeline: Sendable {
    var declarations: [String] = []
    /// `=` rather than `:=`.
    var isAssignment = false
    var commands: [Command] = []
    var position: Position
}

/// One command of a pipeline: a function and its arguments, or a single operand.
struct Command: Sendable {
    var operands: [Operand]
    var position: Position
    var text: String
}

/// An argument or the head of a command.
indirect enum Operand: Sendable {
    case dot
    case nilValue
    /// `.A.B` on dot.
    case field([String])
    /// `$x.A.B`.
    case variable(String, [String])
    /// `(pipeline).A.B`.
    case pipeline(Pipeline, [String])
    /// A function, by name.
    case function(String)
    case constant(TemplateValue)
}
