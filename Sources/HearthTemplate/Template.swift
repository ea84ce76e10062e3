/// A parse or execution error, worded as Go's `text/template` words it
/// (`template: NAME:LINE:COL: executing "NAME" at <CMD>: MESSAGE`).
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a template function reports. Go reports a function's own error as
/// `error calling NAME: MESSAGE`, and a bad argument (count or type) without that prefix.
public struct TemplateFunctionError: Error, Sendable {
    public let message: String
    public let isArgumentError: Bool

    public init(_ message: String) {
        self.message = message
        self.isArgumentError = false
    }

    public static func arguments(_ message: String) -> TemplateFunctionError {
        TemplateFunctionError(message, argument: true)
    }

    private init(_ message: String, argument: Bool) {
        self.message = message
        self.isArgumentError = argument
    }
}

/// A function a template can call: its evaluated arguments, the pipeline's value last.
public typealias TemplateFunction = @Sendable ([TemplateValue]) throws(TemplateFunctionError) -> TemplateValue

/// A parsed Go `text/template`: Prometheus's alert and recording-rule templates, executed
/// with Go's semantics (truthiness, `<no value>`, `%v` printing, scoping of variables).
///
/// Parse once, execute many times: an alert rule's templates run for every alert instance at
/// every evaluation.
public struct Template: Sendable {
    public let name: String
    let root: [Node]
    let definitions: [String: [Node]]

    /// Parses `text`; `functions` are the names of the extra functions `execute` will be given
    /// (Go rejects an unknown function when parsing).
    public init(_ text: String, name: String, functions: some Sequence<String> = []) throws(TemplateError) {
        self.name = name
        let known = Set(functions).union(Builtins.names)
        (root, definitions) = try Parser.parse(text, name: name, functions: known)
    }

    /// Runs the template on `data` (`.` and `$`).
    public func execute(data: TemplateValue, functions: [String: TemplateFunction] = [:]) throws(TemplateError) -> String {
        var executor = Executor(template: self, functions: functions, data: data)
        _ = try executor.walk(root, dot: data)
        return executor.out
    }
}
