/// Executes a parsed template with Go's `text/template` semantics.
struct Executor {
    let template: Template
    let functions: [String: TemplateFunction]
    /// Variables in scope, innermost last; `$` is always first.
    private var variables: [(name: String, value: TemplateValue)]
    private(set) var out = ""
    private var depth = 0

    /// Go's limit on nested `{{template}}` calls is far higher; this one keeps recursion on the stack safe.
    private static let maxDepth = 1000

    init(template: Template, functions: [String: TemplateFunction], data: TemplateValue) {
        self.template = template
        self.functions = functions
        self.variables = [("$", data)]
    }

    enum Flow { case normal, breakLoop, continueLoop }

    private func fail(_ position: Position, _ text: String, _ message: String) -> TemplateError {
        TemplateError("template: \(template.name):\(position.line):\(position.column): executing \"\(template.name)\" at <\(text)>: \(message)")
    }

    mutating func walk(_ nodes: [Node], dot: TemplateValue) throws(TemplateError) -> Flow {
        for node in nodes {
            let flow = try walk(node, dot: dot)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private mutating func walk(_ node: Node, dot: TemplateValue) throws(TemplateError) -> Flow {
        switch node {
        case .text(let s):
            out += s
        case .action(let pipe):
            let value = try evalPipeline(pipe, dot: dot)
            if pipe.declarations.isEmpty { GoFormat.appendValue(value, to: &out) }
        case .ifNode(let pipe, let body, let elseList), .with(let pipe, let body, let elseList):
            let mark = variables.count
            defer { variables.removeLast(variables.count - mark) }
            let value = try evalPipeline(pipe, dot: dot)
            var isWith = false
            if case .with = node { isWith = true }
            if value.isTrue {
                return try walk(body, dot: isWith ? value : dot)
            }
            return try walk(elseList, dot: dot)
        case .range(let pipe, let body, let elseList):
            return try walkRange(pipe, body, elseList, dot: dot)
        case .template(let name, let pipe, let position):
            guard let body = template.definitions[name] else { throw fail(position, "template", "no such template \"\(name)\"") }
            let newDot = try pipe.map { p throws(TemplateError) in try evalPipeline(p, dot: dot) } ?? .missing
            guard depth < Self.maxDepth else { throw fail(position, "template", "exceeded maximum template depth (\(Self.maxDepth))") }
            let saved = variables
            variables = [("$", newDot)]
            depth += 1
            defer { variables = saved; depth -= 1 }
            _ = try walk(body, dot: newDot)
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        }
        return .normal
    }

    private mutating func walkRange(_ pipe: Pipeline, _ body: [Node], _ elseList: [Node], dot: TemplateValue) throws(TemplateError) -> Flow {
        let mark = variables.count
        defer { variables.removeLast(variables.count - mark) }
        var commandsOnly = pipe
        commandsOnly.declarations = []
        let value = try evalPipeline(commandsOnly, dot: dot)
        var items: [(key: TemplateValue, value: TemplateValue)] = []
        switch value {
        case .list(let l): items = l.enumerated().map { (.int(Int64($0.offset)), $0.element) }
        case .map(let m): items = m.keys.sorted().map { (.string($0), m[$0]!) }
        case .missing: break
        case .int(let n): items = (0..<max(n, 0)).map { (.int($0), .int($0)) }
        default:
            let c = pipe.commands.last!
            throw fail(c.position, c.text, "range can't iterate over \(value.goString)")
        }
        if items.isEmpty { return try walk(elseList, dot: dot) }
        for item in items {
            let inner = variables.count
            if pipe.declarations.count == 1 { bind(pipe.declarations[0], item.value, assign: pipe.isAssignment) }
            if pipe.declarations.count == 2 {
                bind(pipe.declarations[0], item.key, assign: pipe.isAssignment)
                bind(pipe.declarations[1], item.value, assign: pipe.isAssignment)
            }
            let flow = try walk(body, dot: item.value)
            variables.removeLast(variables.count - inner)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    private mutating func bind(_ name: String, _ value: TemplateValue, assign: Bool) {
        if assign, let i = variables.lastIndex(where: { $0.name == name }) {
            variables[i].value = value
        } else {
            variables.append((name, value))
        }
    }

    private func variable(_ name: String, at position: Position, _ text: String) throws(TemplateError) -> TemplateValue {
        guard let v = variables.last(where: { $0.name == name }) else { throw fail(position, text, "undefined variable: \(name)") }
        return v.value
    }

    // MARK: - Pipelines and commands

    private mutating func evalPipeline(_ pipe: Pipeline, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        var value: TemplateValue?
        for command in pipe.commands {
            value = try evalCommand(command, dot: dot, final: value)
        }
        let result = value ?? .missing
        for name in pipe.declarations {
            if pipe.isAssignment {
                guard let i = variables.lastIndex(where: { $0.name == name }) else {
                    throw fail(pipe.position, name, "undefined variable: \(name)")
                }
                variables[i].value = result
            } else {
                variables.append((name, result))
            }
        }
        return result
    }

    private mutating func evalCommand(_ command: Command, dot: TemplateValue, final: TemplateValue?) throws(TemplateError) -> TemplateValue {
        let args = command.operands.dropFirst()
        let p = command.position, text = command.text
        func notAFunction(_ what: String) throws(TemplateError) {
            if !args.isEmpty || final != nil { throw fail(p, text, "can't give argument to non-function \(what)") }
        }
        switch command.operands[0] {
        case .field(let chain):
            return try fieldChain(dot, chain, hasArguments: !args.isEmpty || final != nil, p, text)
        case .variable(let name, let chain):
            let value = try variable(name, at: p, text)
            if chain.isEmpty { try notAFunction(name); return value }
            return try fieldChain(value, chain, hasArguments: !args.isEmpty || final != nil, p, text)
        case .pipeline(let inner, let chain):
            let value = try evalPipeline(inner, dot: dot)
            if chain.isEmpty { try notAFunction("(pipeline)"); return value }
            return try fieldChain(value, chain, hasArguments: !args.isEmpty || final != nil, p, text)
        case .function(let name):
            return try call(name, args, final: final, dot: dot, p, text)
        case .dot:
            try notAFunction(".")
            return dot
        case .nilValue:
            throw fail(p, text, "nil is not a command")
        case .constant(let v):
            try notAFunction(v.goString)
            return v
        }
    }

    private func fieldChain(_ receiver: TemplateValue, _ chain: [String], hasArguments: Bool, _ p: Position, _ text: String) throws(TemplateError) -> TemplateValue {
        var value = receiver
        for (i, name) in chain.enumerated() {
            switch value {
            case .missing:
                return .missing
            case .map(let m):
                if hasArguments && i == chain.count - 1 { throw fail(p, text, "\(name) is not a method but has arguments") }
                value = m[name] ?? .missing
            case .record(let type, let fields):
                guard let f = fields[name] else { throw fail(p, text, "can't evaluate field \(name) in type \(type)") }
                if hasArguments && i == chain.count - 1 { throw fail(p, text, "\(name) has arguments but cannot be invoked as function") }
                value = f
            default:
                throw fail(p, text, "can't evaluate field \(name) in type \(value.goTypeName)")
            }
        }
        return value
    }

    private mutating func evalArgument(_ operand: Operand, dot: TemplateValue, _ p: Position, _ text: String) throws(TemplateError) -> TemplateValue {
        switch operand {
        case .dot: return dot
        case .nilValue: return .missing
        case .constant(let v): return v
        case .field(let chain): return try fieldChain(dot, chain, hasArguments: false, p, text)
        case .variable(let name, let chain): return try fieldChain(try variable(name, at: p, text), chain, hasArguments: false, p, text)
        case .pipeline(let inner, let chain): return try fieldChain(try evalPipeline(inner, dot: dot), chain, hasArguments: false, p, text)
        case .function(let name): return try call(name, [], final: nil, dot: dot, p, text)
        }
    }

    private mutating func call(_ name: String, _ operands: ArraySlice<Operand>, final: TemplateValue?, dot: TemplateValue,
                               _ p: Position, _ text: String) throws(TemplateError) -> TemplateValue {
        // `and` and `or` evaluate their arguments only as far as needed.
        if name == "and" || name == "or" {
            let count = operands.count + (final == nil ? 0 : 1)
            guard count > 0 else { throw fail(p, text, "wrong number of args for \(name): want at least 1 got 0") }
            var value = TemplateValue.missing
            for (i, operand) in operands.enumerated() {
                value = try evalArgument(operand, dot: dot, p, text)
                let last = i == count - 1
                if last || value.isTrue != (name == "and") { return value }
            }
            return final ?? value
        }
        var args: [TemplateValue] = []
        args.reserveCapacity(operands.count + 1)
        for operand in operands { args.append(try evalArgument(operand, dot: dot, p, text)) }
        if let final { args.append(final) }
        let function = functions[name] ?? Builtins.functions[name]
        guard let function else { throw fail(p, text, "\"\(name)\" is not a defined function") }
        do {
            return try function(args)
        } catch {
            throw fail(p, text, error.isArgumentError ? error.message : "error calling \(name): \(error.message)")
        }
    }
}
