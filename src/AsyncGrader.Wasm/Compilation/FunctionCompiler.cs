using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AsyncGrader.Wasm.Binary;
using AsyncGrader.Wasm.Runtime;

namespace AsyncGrader.Wasm.Compilation;

/// <summary>
/// Translates one validated function body to IL in a single pass.
/// </summary>
/// <remarks>
/// The Wasm operand stack maps onto the IL evaluation stack. Values that flow along a branch
/// (a label's arity) travel through per-frame locals, and values left below them are popped,
/// so every IL merge point sees the same stack shape. Unreachable code is skipped.
/// Fuel: the operators of a straight-line run are counted at compile time and charged in one
/// subtraction when control leaves the run (before a branch, call or label); fuel and the
/// interrupt flag are checked at function entry and at loop headers. See docs/FUEL.md.
/// </remarks>
internal sealed class FunctionCompiler
{
    private enum FrameKind { Function, Block, Loop, If }

    private sealed class Frame
    {
        public FrameKind Kind;
        public ValueType[] Params = [];
        public ValueType[] Results = [];
        public int Height;              // type-stack height below the frame's params
        public Label BranchLabel;       // where branches to this frame land (loop: header; others: after end)
        public Label ElseLabel;
        public bool HasElse;
        public bool BranchedTo;
        public bool Unreachable;
        public LocalBuilder[]? ArityLocals;
        public ValueType[] LabelTypes => Kind == FrameKind.Loop ? Params : Results;
    }

    private readonly ModuleCompileContext _m;
    private readonly int _funcIndex;
    private readonly FuncType _type;
    private readonly FunctionBody _body;
    private readonly ILGenerator _il;
    private readonly List<ValueType> _stack = new(32);
    private readonly List<Frame> _frames = new(16);
    private readonly LocalBuilder?[] _locals;
    private readonly int _ctxArg;
    private LocalBuilder _store = null!;
    private LocalBuilder? _mem;
    // Engines that track dirty pages: the memory's flags array, and a ref to its first flag that
    // the stores' marks use, so that a mark needs no null check of the array (RyuJIT adds one per
    // use of an array local it cannot prove non-null: in an interpreter loop, at every store).
    // Measured (BENCHMARKS.md, session 4): the ref alone, without the array local, made QuickJS
    // 35 % slower in its image; both together make it 1-2 % faster than the array alone.
    private LocalBuilder? _dirty;
    private LocalBuilder? _dirtyFlags;
    private readonly Dictionary<Type, LocalBuilder> _scratch = new();
    private readonly Dictionary<(ValueType, int), LocalBuilder> _slots = new();
    private int _pendingFuel;
    // Remaining fuel lives in this local (a register in hot loops). Calls take it as an argument;
    // it is committed to the store at returns, call_indirect, bulk operations and traps (docs/FUEL.md).
    private LocalBuilder? _fuelLocal;
    private readonly bool _fuel;

    public FunctionCompiler(ModuleCompileContext m, int funcIndex, MethodBuilder method)
    {
        _m = m;
        _funcIndex = funcIndex;
        _type = m.Definition.FunctionType(funcIndex);
        _body = m.Definition.Bodies[funcIndex - m.Definition.ImportedFunctionCount];
        _il = method.GetILGenerator(Math.Max(64, _body.CodeLength * 4));
        _locals = new LocalBuilder?[_body.Locals.Length];
        _fuel = m.Engine.Config.ConsumeFuel;
        // Arguments: the Wasm params, byrefs for extra results, the fuel (if metered), the context.
        _ctxArg = _type.Params.Length + Math.Max(0, _type.Results.Length - 1) + (_fuel ? 1 : 0);
    }

    public void Compile()
    {
        var def = _m.Definition;
        for (int i = 0; i < _body.Locals.Length; i++) _locals[i] = _il.DeclareLocal(ClrTypes.Of(_body.Locals[i]));
        _store = _il.DeclareLocal(typeof(Store));
        // A function that never touches the buffer (fib, say) need not reload it after every call.
        if (_m.HasMemory && InstructionSkipper.AccessesMemoryBuffer(def.Bytes, _body.CodeOffset, _body.CodeOffset + _body.CodeLength))
        {
            _mem = _il.DeclareLocal(typeof(byte[]));
            if (_m.Engine.Config.TrackDirtyPages)
            {
                _dirty = _il.DeclareLocal(typeof(byte[]));
                _dirtyFlags = _il.DeclareLocal(typeof(byte).MakeByRefType());
            }
        }

        EmitPrologue();
        EmitZeroLocals();

        var fn = new Frame { Kind = FrameKind.Function, Results = _type.Results, Height = 0, BranchLabel = _il.DefineLabel() };
        _frames.Add(fn);

        var r = new WasmReader(def.Bytes, _body.CodeOffset, _body.CodeOffset + _body.CodeLength);
        int skipDepth = 0;
        while (_frames.Count > 0)
        {
            var op = r.ReadOpcode();
            var top = _frames[^1];
            if (top.Unreachable)
            {
                // Skip dead code, tracking nesting to find the matching else/end.
                switch (op)
                {
                    case Opcode.Block or Opcode.Loop or Opcode.If:
                        r.ReadVarS33();
                        skipDepth++;
                        continue;
                    case Opcode.Else when skipDepth == 0:
                        Else(top);
                        continue;
                    case Opcode.End when skipDepth == 0:
                        End(top);
                        continue;
                    case Opcode.End:
                        skipDepth--;
                        continue;
                    case Opcode.Else:
                        continue;
                    default:
                        InstructionSkipper.SkipImmediates(op, r);
                        continue;
                }
            }
            Emit(op, r, top);
        }
    }

    private void EmitPrologue()
    {
        var il = _il;
        // s = ctx.Store; mem = ctx.Memory.Buffer
        il.Emit(OpCodes.Ldarg, _ctxArg);
        EmitField(OpCodes.Ldfld, F.CtxStore);
        il.Emit(OpCodes.Stloc, _store);
        ReloadMemory();
        if (_fuel)
        {
            // The caller passes its remaining fuel (ClrTypes: the calling convention).
            _fuelLocal = il.DeclareLocal(typeof(long));
            il.Emit(OpCodes.Ldarg, _ctxArg - 1);
            il.Emit(OpCodes.Stloc, _fuelLocal);
        }

        // Call depth: ++s.CallDepth > s.MaxCallDepth, or too little native stack left -> trap.
        il.Emit(OpCodes.Ldloc, _store);
        il.Emit(OpCodes.Ldloc, _store);
        EmitField(OpCodes.Ldfld, F.StoreCallDepth);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Dup);
        var depth = Scratch(typeof(int));
        il.Emit(OpCodes.Stloc, depth);
        EmitField(OpCodes.Stfld, F.StoreCallDepth);
        il.Emit(OpCodes.Ldloc, depth);
        il.Emit(OpCodes.Ldloc, _store);
        EmitField(OpCodes.Ldfld, F.StoreMaxCallDepth);
        var ok = il.DefineLabel();
        var bad = il.DefineLabel();
        il.Emit(OpCodes.Bgt, bad);
        // Native stack: the address of a local against the guest thread's limit.
        var probe = il.DeclareLocal(typeof(byte));
        il.Emit(OpCodes.Ldloca, probe);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldloc, _store);
        EmitField(OpCodes.Ldfld, F.StoreStackLimit);
        il.Emit(OpCodes.Bge_Un, ok);
        il.MarkLabel(bad);
        EmitTrap(M.ThrowStack);
        il.MarkLabel(ok);
        EmitChecks();
    }

    /// <summary>
    /// Wasm locals start at zero. The methods skip the CLR's zeroing of the whole frame (InitLocals
    /// off, see ModuleCompiler): in an interpreter loop that frame holds thousands of JIT
    /// temporaries, and zeroing them cost a fifth of QuickJS's time per call.
    /// </summary>
    private void EmitZeroLocals()
    {
        var il = _il;
        for (int i = 0; i < _body.Locals.Length; i++)
        {
            switch (_body.Locals[i])
            {
                case ValueType.I32: il.Emit(OpCodes.Ldc_I4_0); break;
                case ValueType.I64: il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Conv_I8); break;
                case ValueType.F32: il.Emit(OpCodes.Ldc_R4, 0f); break;
                case ValueType.F64: il.Emit(OpCodes.Ldc_R8, 0d); break;
                case ValueType.V128:
                    il.Emit(OpCodes.Ldloca, _locals[i]!);
                    il.Emit(OpCodes.Initobj, typeof(Vector128<byte>));
                    continue;
                default: il.Emit(OpCodes.Ldnull); break;
            }
            il.Emit(OpCodes.Stloc, _locals[i]!);
        }
    }

    /// <summary>
    /// Fuel and interrupt checks: at function entry and loop headers. Nothing is written on the
    /// hot path: the remaining fuel stays in its local, and only a trap commits it (docs/FUEL.md).
    /// </summary>
    private void EmitChecks()
    {
        var il = _il;
        var ok = il.DefineLabel();
        if (_fuel)
        {
            // One check for both: fuel < store.FuelFloor (0, or long.MaxValue once interrupted).
            il.Emit(OpCodes.Ldloc, _fuelLocal!);
            il.Emit(OpCodes.Ldloc, _store);
            il.Emit(OpCodes.Volatile);
            EmitField(OpCodes.Ldfld, F.StoreFuelFloor);
            il.Emit(OpCodes.Bge, ok);
            CommitPending();
            il.Emit(OpCodes.Ldloc, _store);
            il.Emit(OpCodes.Call, M.ThrowBelowFuelFloor);
            il.Emit(OpCodes.Throw);
        }
        else
        {
            il.Emit(OpCodes.Ldloc, _store);
            il.Emit(OpCodes.Volatile);
            EmitField(OpCodes.Ldfld, F.StoreInterrupt);
            il.Emit(OpCodes.Brfalse, ok);
            EmitTrap(M.ThrowInterrupted);
        }
        il.MarkLabel(ok);
    }

    /// <summary>
    /// Raises the trap a <see cref="Throw"/> factory makes, charging first every operator run so
    /// far, the trapping one included: <c>commit; call; throw</c>. The <c>throw</c> tells the JIT
    /// the path ends there, so it keeps no values alive for it and moves it out of the hot code.
    /// </summary>
    private void EmitTrap(MethodInfo factory)
    {
        CommitPending();
        _il.Emit(OpCodes.Call, factory);
        _il.Emit(OpCodes.Throw);
    }

    /// <summary>
    /// store.FuelRemaining = local - pending, leaving the local and the pending run as they are:
    /// before a trap, and before a helper that may trap (a division, a table access), so that a
    /// trap charges exactly the operators executed up to and including the trapping one.
    /// </summary>
    private void CommitPending()
    {
        if (!_fuel) return;
        _il.Emit(OpCodes.Ldloc, _store);
        _il.Emit(OpCodes.Ldloc, _fuelLocal!);
        if (_pendingFuel != 0)
        {
            _il.Emit(OpCodes.Ldc_I8, (long)_pendingFuel);
            _il.Emit(OpCodes.Sub);
        }
        EmitField(OpCodes.Stfld, F.StoreFuel);
    }

    /// <summary>Operators that trap inside a helper call (not through <see cref="EmitTrap"/>): their run is committed first.</summary>
    private static bool TrapsInHelper(Opcode op) => op is
        (>= Opcode.I32DivS and <= Opcode.I32RemU) or (>= Opcode.I64DivS and <= Opcode.I64RemU)
        or (>= Opcode.I32TruncF32S and <= Opcode.I64TruncF64U)
        or Opcode.TableGet or Opcode.TableSet
        or (>= Opcode.V128Load and <= Opcode.V128Store) or (>= Opcode.V128Load8Lane and <= Opcode.V128Load64Zero);

    /// <summary>store.FuelRemaining = local (before anything that reads or charges the store's fuel).</summary>
    private void CommitFuel()
    {
        if (!_fuel) return;
        _il.Emit(OpCodes.Ldloc, _store);
        _il.Emit(OpCodes.Ldloc, _fuelLocal!);
        EmitField(OpCodes.Stfld, F.StoreFuel);
    }

    /// <summary>local = store.FuelRemaining (after a call or bulk operation charged the store).</summary>
    private void ReloadFuel()
    {
        if (!_fuel) return;
        _il.Emit(OpCodes.Ldloc, _store);
        EmitField(OpCodes.Ldfld, F.StoreFuel);
        _il.Emit(OpCodes.Stloc, _fuelLocal!);
    }

    /// <summary>
    /// <c>switch</c> on the index on the stack; with no targets (a br_table of only a default) the
    /// index is just dropped, since an assembly's IL encoder rejects an empty switch table.
    /// </summary>
    private void EmitSwitch(Label[] targets)
    {
        if (targets.Length == 0) _il.Emit(OpCodes.Pop);
        else _il.Emit(OpCodes.Switch, targets);
    }

    private void FlushFuel()
    {
        if (!_fuel || _pendingFuel == 0) return;
        _il.Emit(OpCodes.Ldloc, _fuelLocal!);
        _il.Emit(OpCodes.Ldc_I8, (long)_pendingFuel);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Stloc, _fuelLocal!);
        _pendingFuel = 0;
    }

    private void ReloadMemory()
    {
        if (_mem is null) return;
        // Two loads of ctx.Memory rather than a dup (see LocalTee); the JIT folds them.
        _il.Emit(OpCodes.Ldarg, _ctxArg);
        EmitField(OpCodes.Ldfld, F.CtxMemory);
        EmitField(OpCodes.Ldfld, F.MemoryBuffer);
        _il.Emit(OpCodes.Stloc, _mem);
        if (_dirtyFlags is null) return;
        _il.Emit(OpCodes.Ldarg, _ctxArg);
        EmitField(OpCodes.Ldfld, F.CtxMemory);
        EmitField(OpCodes.Ldfld, F.MemoryDirty);
        _il.Emit(OpCodes.Stloc, _dirty!);
        _il.Emit(OpCodes.Ldloc, _dirty!);
        _il.Emit(OpCodes.Call, M.ArrayData);
        _il.Emit(OpCodes.Stloc, _dirtyFlags);
    }

    /// <summary>Pushes the memory operands of a MemoryOps helper: the buffer, and for stores the dirty flags.</summary>
    private void EmitMemoryOperands(bool store)
    {
        _il.Emit(OpCodes.Ldloc, _mem!);
        if (!store) return;
        if (_dirty is not null) _il.Emit(OpCodes.Ldloc, _dirty);
        else
        {
            // Untracked engine: SIMD stores (rare) still mark through the helper; nothing reads the flags.
            _il.Emit(OpCodes.Ldarg, _ctxArg);
            EmitField(OpCodes.Ldfld, F.CtxMemory);
            EmitField(OpCodes.Ldfld, F.MemoryDirty);
        }
    }

    private LocalBuilder Scratch(Type t)
    {
        if (!_scratch.TryGetValue(t, out var l)) _scratch[t] = l = _il.DeclareLocal(t);
        return l;
    }

    private LocalBuilder Scratch2(Type t)
    {
        // A second scratch slot of the same type (for operators needing two temporaries).
        var key = t.MakeArrayType(); // distinct key, never used as a real local type
        if (!_scratch.TryGetValue(key, out var l)) _scratch[key] = l = _il.DeclareLocal(t);
        return l;
    }

    private void Push(ValueType t) => _stack.Add(t);

    private ValueType Pop()
    {
        var t = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return t;
    }

    private void PopN(int n) => _stack.RemoveRange(_stack.Count - n, n);

    private (ValueType[] Params, ValueType[] Results) ReadBlockType(WasmReader r)
    {
        long bt = r.ReadVarS33();
        if (bt == -64) return ([], []);
        if (bt < 0) return ([], [(ValueType)(byte)(bt & 0x7F)]);
        var ft = _m.Definition.Types[(int)bt];
        return (ft.Params, ft.Results);
    }

    // ---- branches -------------------------------------------------------------------------

    private LocalBuilder[] ArityLocals(Frame f)
    {
        if (f.ArityLocals is null)
        {
            var types = f.LabelTypes;
            f.ArityLocals = new LocalBuilder[types.Length];
            for (int i = 0; i < types.Length; i++) f.ArityLocals[i] = _il.DeclareLocal(ClrTypes.Of(types[i]));
        }
        return f.ArityLocals;
    }

    /// <summary>Stores the top label-arity values into the frame's locals (top of stack last).</summary>
    private void StoreArity(Frame f)
    {
        var locals = ArityLocals(f);
        for (int i = locals.Length - 1; i >= 0; i--) _il.Emit(OpCodes.Stloc, locals[i]);
    }

    private void LoadArity(Frame f)
    {
        var locals = ArityLocals(f);
        for (int i = 0; i < locals.Length; i++) _il.Emit(OpCodes.Ldloc, locals[i]);
    }

    /// <summary>Unconditional branch to <paramref name="target"/>; the type stack is left for the caller to reset.</summary>
    private void EmitBranch(Frame target)
    {
        int arity = target.LabelTypes.Length;
        int extras = _stack.Count - target.Height - arity;
        if (arity > 0) StoreArity(target);
        for (int i = 0; i < extras; i++) _il.Emit(OpCodes.Pop);
        target.BranchedTo = true;
        _il.Emit(OpCodes.Br, target.BranchLabel);
    }

    private Frame FrameAt(uint depth) => _frames[_frames.Count - 1 - (int)depth];

    private void SetUnreachable(Frame top)
    {
        top.Unreachable = true;
        _stack.RemoveRange(top.Height, _stack.Count - top.Height);
    }

    // ---- structure --------------------------------------------------------------------------

    private void Else(Frame f)
    {
        FlushFuel();
        if (!f.Unreachable)
        {
            StoreArity(f);
            _il.Emit(OpCodes.Br, f.BranchLabel);
            f.BranchedTo = true;
        }
        f.HasElse = true;
        f.Unreachable = false;
        _il.MarkLabel(f.ElseLabel);
        _stack.RemoveRange(f.Height, _stack.Count - f.Height);
        _stack.AddRange(f.Params);
    }

    private void End(Frame f)
    {
        FlushFuel();
        _frames.RemoveAt(_frames.Count - 1);
        bool reachableAfter;
        switch (f.Kind)
        {
            case FrameKind.If when !f.HasElse:
                // The missing else passes the params (== results) straight through.
                if (!f.Unreachable)
                {
                    StoreArity(f);
                    _il.Emit(OpCodes.Br, f.BranchLabel);
                }
                _il.MarkLabel(f.ElseLabel);
                StoreArity(f);
                _il.MarkLabel(f.BranchLabel);
                LoadArity(f);
                reachableAfter = true;
                break;
            case FrameKind.Block or FrameKind.If:
                if (f.BranchedTo)
                {
                    if (!f.Unreachable) StoreArity(f);
                    _il.MarkLabel(f.BranchLabel);
                    LoadArity(f);
                    reachableAfter = true;
                }
                else
                {
                    reachableAfter = !f.Unreachable;
                }
                break;
            case FrameKind.Loop:
                reachableAfter = !f.Unreachable;
                break;
            default: // function
                if (!f.Unreachable) StoreArity(f);
                _il.MarkLabel(f.BranchLabel);
                EmitReturnSequence(f);
                return;
        }

        _stack.RemoveRange(f.Height, _stack.Count - f.Height);
        _stack.AddRange(f.Results);
        var parent = _frames[^1];
        if (!reachableAfter) SetUnreachable(parent);
    }

    private void EmitReturnSequence(Frame fn)
    {
        var il = _il;
        // What is left goes back through the store (ClrTypes: the calling convention).
        CommitFuel();
        // s.CallDepth--
        il.Emit(OpCodes.Ldloc, _store);
        il.Emit(OpCodes.Ldloc, _store);
        EmitField(OpCodes.Ldfld, F.StoreCallDepth);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Sub);
        EmitField(OpCodes.Stfld, F.StoreCallDepth);
        var locals = ArityLocals(fn);
        for (int i = 1; i < locals.Length; i++)
        {
            il.Emit(OpCodes.Ldarg, _type.Params.Length + i - 1);
            il.Emit(OpCodes.Ldloc, locals[i]);
            ClrTypes.EmitStoreIndirect(il, _type.Results[i]);
        }
        if (locals.Length > 0) il.Emit(OpCodes.Ldloc, locals[0]);
        il.Emit(OpCodes.Ret);
    }

    // ---- the instruction switch -----------------------------------------------------------

    private void Emit(Opcode op, WasmReader r, Frame top)
    {
        var il = _il;
        if (_fuel && FuelCost(op)) _pendingFuel++;
        if (_fuel && TrapsInHelper(op)) CommitPending();
        switch (op)
        {
            case Opcode.Unreachable:
                EmitTrap(M.ThrowUnreachable);
                SetUnreachable(top);
                return;
            case Opcode.Nop:
                return;
            case Opcode.Block:
            {
                var (ps, rs) = ReadBlockType(r);
                _frames.Add(new Frame { Kind = FrameKind.Block, Params = ps, Results = rs, Height = _stack.Count - ps.Length, BranchLabel = il.DefineLabel() });
                return;
            }
            case Opcode.Loop:
            {
                var (ps, rs) = ReadBlockType(r);
                var f = new Frame { Kind = FrameKind.Loop, Params = ps, Results = rs, Height = _stack.Count - ps.Length, BranchLabel = il.DefineLabel() };
                _frames.Add(f);
                FlushFuel();
                if (ps.Length > 0) StoreArity(f);
                il.MarkLabel(f.BranchLabel);
                if (ps.Length > 0) LoadArity(f);
                EmitChecks();
                return;
            }
            case Opcode.If:
            {
                var (ps, rs) = ReadBlockType(r);
                Pop();
                FlushFuel();
                var f = new Frame { Kind = FrameKind.If, Params = ps, Results = rs, Height = _stack.Count - ps.Length, BranchLabel = il.DefineLabel(), ElseLabel = il.DefineLabel() };
                _frames.Add(f);
                il.Emit(OpCodes.Brfalse, f.ElseLabel);
                return;
            }
            case Opcode.Else:
                Else(top);
                return;
            case Opcode.End:
                End(top);
                return;
            case Opcode.Br:
            {
                var target = FrameAt(r.ReadVarU32());
                FlushFuel();
                EmitBranch(target);
                SetUnreachable(top);
                return;
            }
            case Opcode.BrIf:
            {
                var target = FrameAt(r.ReadVarU32());
                Pop();
                FlushFuel();
                int arity = target.LabelTypes.Length;
                int extras = _stack.Count - target.Height - arity;
                target.BranchedTo = true;
                if (arity == 0 && extras == 0)
                {
                    il.Emit(OpCodes.Brtrue, target.BranchLabel);
                    return;
                }
                var cond = Scratch(typeof(int));
                il.Emit(OpCodes.Stloc, cond);
                StoreArity(target);
                var skip = il.DefineLabel();
                il.Emit(OpCodes.Ldloc, cond);
                il.Emit(OpCodes.Brfalse, skip);
                for (int i = 0; i < extras; i++) il.Emit(OpCodes.Pop);
                il.Emit(OpCodes.Br, target.BranchLabel);
                il.MarkLabel(skip);
                LoadArity(target);
                return;
            }
            case Opcode.BrTable:
            {
                uint n = r.ReadVarU32();
                var targets = new Frame[n];
                for (int i = 0; i < n; i++) targets[i] = FrameAt(r.ReadVarU32());
                var deflt = FrameAt(r.ReadVarU32());
                Pop();
                FlushFuel();
                int arity = deflt.LabelTypes.Length;
                bool simple = arity == 0 && targets.Append(deflt).All(t => _stack.Count - t.Height == 0);
                if (simple)
                {
                    foreach (var t in targets) t.BranchedTo = true;
                    deflt.BranchedTo = true;
                    EmitSwitch(targets.Select(t => t.BranchLabel).ToArray());
                    il.Emit(OpCodes.Br, deflt.BranchLabel);
                }
                else
                {
                    // One stub per target: each stores the arity values and pops its own extras.
                    var stubs = new Dictionary<Frame, Label>();
                    foreach (var t in targets.Append(deflt)) if (!stubs.ContainsKey(t)) stubs[t] = il.DefineLabel();
                    EmitSwitch(targets.Select(t => stubs[t]).ToArray());
                    il.Emit(OpCodes.Br, stubs[deflt]);
                    foreach (var (t, label) in stubs)
                    {
                        il.MarkLabel(label);
                        EmitBranch(t);
                    }
                }
                SetUnreachable(top);
                return;
            }
            case Opcode.Return:
                FlushFuel();
                EmitBranch(_frames[0]);
                SetUnreachable(top);
                return;
            case Opcode.Call:
                EmitCall((int)r.ReadVarU32());
                return;
            case Opcode.CallIndirect:
                EmitCallIndirect(r.ReadVarU32(), (int)r.ReadVarU32());
                return;
            case Opcode.Drop:
                Pop();
                il.Emit(OpCodes.Pop);
                return;
            case Opcode.Select:
            case Opcode.SelectTyped:
            {
                if (op == Opcode.SelectTyped)
                {
                    r.ReadVarU32();
                    r.ReadValueType();
                }
                Pop();
                var t = Pop();
                var clr = ClrTypes.Of(t);
                var cond = Scratch2(typeof(int));
                var b = Scratch(clr);
                il.Emit(OpCodes.Stloc, cond);
                il.Emit(OpCodes.Stloc, b);
                var keep = il.DefineLabel();
                il.Emit(OpCodes.Ldloc, cond);
                il.Emit(OpCodes.Brtrue, keep);
                il.Emit(OpCodes.Pop);
                il.Emit(OpCodes.Ldloc, b);
                il.MarkLabel(keep);
                return;
            }
            case Opcode.LocalGet:
            {
                int i = (int)r.ReadVarU32();
                LoadLocal(i);
                Push(LocalType(i));
                return;
            }
            case Opcode.LocalSet:
            {
                int i = (int)r.ReadVarU32();
                StoreLocal(i);
                Pop();
                return;
            }
            case Opcode.LocalTee:
            {
                // stloc; ldloc rather than dup; stloc: the JIT gives every dup of an expression a
                // temporary of its own, and past ~1,000 locals it keeps temporaries in memory.
                int i = (int)r.ReadVarU32();
                StoreLocal(i);
                LoadLocal(i);
                return;
            }
            case Opcode.GlobalGet:
            {
                int g = (int)r.ReadVarU32();
                EmitGlobalGet(g);
                Push(_m.Definition.GlobalType(g).Type);
                return;
            }
            case Opcode.GlobalSet:
            {
                int g = (int)r.ReadVarU32();
                EmitGlobalSet(g);
                Pop();
                return;
            }
            case Opcode.TableGet:
            {
                int t = (int)r.ReadVarU32();
                EmitIntConst(t);
                EmitCtx();
                il.Emit(OpCodes.Call, M.TableGet);
                Pop();
                Push(_m.Definition.TableType(t).ElementType);
                return;
            }
            case Opcode.TableSet:
            {
                int t = (int)r.ReadVarU32();
                EmitIntConst(t);
                EmitCtx();
                il.Emit(OpCodes.Call, M.TableSet);
                PopN(2);
                return;
            }
            case Opcode.MemorySize:
                r.ReadByte();
                il.Emit(OpCodes.Ldloc, _mem!);
                il.Emit(OpCodes.Call, M.MemorySize);
                Push(ValueType.I32);
                return;
            case Opcode.MemoryGrow:
                r.ReadByte();
                EmitCtx();
                il.Emit(OpCodes.Call, M.MemoryGrow);
                ReloadMemory();
                return;
            case Opcode.I32Const:
                EmitIntConst(r.ReadVarS32());
                Push(ValueType.I32);
                return;
            case Opcode.I64Const:
                il.Emit(OpCodes.Ldc_I8, r.ReadVarS64());
                Push(ValueType.I64);
                return;
            case Opcode.F32Const:
                EmitF32Const(r.ReadU32Fixed());
                Push(ValueType.F32);
                return;
            case Opcode.F64Const:
                EmitF64Const(r.ReadU64Fixed());
                Push(ValueType.F64);
                return;
            case Opcode.RefNull:
                Push(r.ReadRefType());
                il.Emit(OpCodes.Ldnull);
                return;
            case Opcode.RefIsNull:
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Ceq);
                Pop();
                Push(ValueType.I32);
                return;
            case Opcode.RefFunc:
            {
                int f = (int)r.ReadVarU32();
                EmitCtx();
                EmitField(OpCodes.Ldfld, F.CtxFuncs);
                EmitIntConst(f);
                il.Emit(OpCodes.Ldelem_Ref);
                Push(ValueType.FuncRef);
                return;
            }
        }

        if (op >= Opcode.I32Load && op <= Opcode.I64Store32)
        {
            EmitMemoryAccess(op, r);
            return;
        }
        if ((int)op >= 0xFD00)
        {
            EmitSimd(op, r);
            return;
        }
        if ((int)op >= 0xFC00)
        {
            EmitPrefixed(op, r);
            return;
        }
        EmitNumeric(op);
    }

    /// <summary>Wasmtime's rule: every operator costs 1 except these.</summary>
    private static bool FuelCost(Opcode op) => op switch
    {
        Opcode.Nop or Opcode.Drop or Opcode.Block or Opcode.Loop or Opcode.Unreachable or Opcode.Return or Opcode.Else or Opcode.End => false,
        _ => true,
    };

    private void EmitCtx() => _il.Emit(OpCodes.Ldarg, _ctxArg);

    /// <summary>
    /// ldfld/stfld/ldsfld of an engine field by a token resolved once per module: resolving a
    /// member reference to another assembly on every Emit dominated compile time.
    /// </summary>
    private void EmitField(OpCode op, FieldInfo field)
    {
        if (!_m.FieldTokens.TryGetValue(field, out int token))
            _m.FieldTokens[field] = token = _m.ModuleBuilder.GetFieldMetadataToken(field);
        _il.Emit(op, token);
    }

    /// <summary>Pushes the canonical signature id of the module's type <paramref name="typeIndex"/>.</summary>
    private void EmitTypeId(int typeIndex)
    {
        if (_m.TypeIdFields is { } fields)
        {
            // An instance field of the context (copied from a static in New()): a static would cost
            // ReadyToRun code a helper call for the static base in every function that reads it.
            var field = fields[typeIndex] ??= _m.ModuleType.DefineField($"t{typeIndex}", typeof(int), FieldAttributes.Public);
            EmitCtx();
            _il.Emit(OpCodes.Ldfld, field);
        }
        else EmitIntConst(_m.Engine.Signatures.IdOf(_m.Definition.Types[typeIndex]));
    }

    private void EmitIntConst(int v)
    {
        switch (v)
        {
            case -1: _il.Emit(OpCodes.Ldc_I4_M1); break;
            case >= 0 and <= 8: _il.Emit(v switch { 0 => OpCodes.Ldc_I4_0, 1 => OpCodes.Ldc_I4_1, 2 => OpCodes.Ldc_I4_2, 3 => OpCodes.Ldc_I4_3, 4 => OpCodes.Ldc_I4_4, 5 => OpCodes.Ldc_I4_5, 6 => OpCodes.Ldc_I4_6, 7 => OpCodes.Ldc_I4_7, _ => OpCodes.Ldc_I4_8 }); break;
            case >= -128 and <= 127: _il.Emit(OpCodes.Ldc_I4_S, (sbyte)v); break;
            default: _il.Emit(OpCodes.Ldc_I4, v); break;
        }
    }

    private void EmitF32Const(uint bits)
    {
        FieldInfo? opaque = bits switch
        {
            0x3F800000 => F.OpaqueF32One,
            0xBF800000 => F.OpaqueF32MinusOne,
            0x00000000 => F.OpaqueF32Zero,
            0x80000000 => F.OpaqueF32MinusZero,
            _ => null,
        };
        if (opaque is not null) _il.Emit(OpCodes.Ldsfld, opaque);
        else if (float.IsNaN(BitConverter.UInt32BitsToSingle(bits)))
        {
            // ldc.r4 may not preserve NaN payloads through the JIT's constant handling; go via bits.
            EmitIntConst((int)bits);
            _il.Emit(OpCodes.Call, M.OpaqueF32FromBits);
        }
        else _il.Emit(OpCodes.Ldc_R4, BitConverter.UInt32BitsToSingle(bits));
    }

    private void EmitF64Const(ulong bits)
    {
        FieldInfo? opaque = bits switch
        {
            0x3FF0000000000000 => F.OpaqueF64One,
            0xBFF0000000000000 => F.OpaqueF64MinusOne,
            0x0000000000000000 => F.OpaqueF64Zero,
            0x8000000000000000 => F.OpaqueF64MinusZero,
            _ => null,
        };
        if (opaque is not null) _il.Emit(OpCodes.Ldsfld, opaque);
        else if (double.IsNaN(BitConverter.UInt64BitsToDouble(bits)))
        {
            _il.Emit(OpCodes.Ldc_I8, (long)bits);
            _il.Emit(OpCodes.Call, M.OpaqueF64FromBits);
        }
        else _il.Emit(OpCodes.Ldc_R8, BitConverter.UInt64BitsToDouble(bits));
    }

    // ---- locals and globals ---------------------------------------------------------------

    private ValueType LocalType(int i) => i < _type.Params.Length ? _type.Params[i] : _body.Locals[i - _type.Params.Length];

    private void LoadLocal(int i)
    {
        if (i < _type.Params.Length) _il.Emit(OpCodes.Ldarg, i);
        else _il.Emit(OpCodes.Ldloc, _locals[i - _type.Params.Length]!);
    }

    private void StoreLocal(int i)
    {
        if (i < _type.Params.Length) _il.Emit(OpCodes.Starg, i);
        else _il.Emit(OpCodes.Stloc, _locals[i - _type.Params.Length]!);
    }

    private void EmitGlobalGet(int g)
    {
        var field = _m.GlobalFields[g];
        EmitCtx();
        if (field is not null)
        {
            _il.Emit(OpCodes.Ldfld, field);
            return;
        }
        // A shared cell: ctx.GlobalCells[g].Bits / Vector / Ref
        EmitField(OpCodes.Ldfld, F.CtxGlobalCells);
        EmitIntConst(g);
        _il.Emit(OpCodes.Ldelem_Ref);
        switch (_m.Definition.GlobalType(g).Type)
        {
            case ValueType.I32: EmitField(OpCodes.Ldfld, F.GlobalBits); _il.Emit(OpCodes.Conv_I4); break;
            case ValueType.I64: EmitField(OpCodes.Ldfld, F.GlobalBits); break;
            case ValueType.F32: EmitField(OpCodes.Ldfld, F.GlobalBits); _il.Emit(OpCodes.Conv_I4); _il.Emit(OpCodes.Call, M.Int32BitsToSingle); break;
            case ValueType.F64: EmitField(OpCodes.Ldfld, F.GlobalBits); _il.Emit(OpCodes.Call, M.Int64BitsToDouble); break;
            case ValueType.V128: EmitField(OpCodes.Ldfld, F.GlobalVector); break;
            default: EmitField(OpCodes.Ldfld, F.GlobalRef); break;
        }
    }

    private void EmitGlobalSet(int g)
    {
        var field = _m.GlobalFields[g];
        var t = _m.Definition.GlobalType(g).Type;
        var tmp = Scratch(ClrTypes.Of(t));
        _il.Emit(OpCodes.Stloc, tmp);
        EmitCtx();
        if (field is not null)
        {
            _il.Emit(OpCodes.Ldloc, tmp);
            _il.Emit(OpCodes.Stfld, field);
            return;
        }
        EmitField(OpCodes.Ldfld, F.CtxGlobalCells);
        EmitIntConst(g);
        _il.Emit(OpCodes.Ldelem_Ref);
        _il.Emit(OpCodes.Ldloc, tmp);
        switch (t)
        {
            case ValueType.I32: _il.Emit(OpCodes.Conv_U8); EmitField(OpCodes.Stfld, F.GlobalBits); break;
            case ValueType.I64: EmitField(OpCodes.Stfld, F.GlobalBits); break;
            case ValueType.F32: _il.Emit(OpCodes.Call, M.SingleToInt32Bits); _il.Emit(OpCodes.Conv_U8); EmitField(OpCodes.Stfld, F.GlobalBits); break;
            case ValueType.F64: _il.Emit(OpCodes.Call, M.DoubleToInt64Bits); EmitField(OpCodes.Stfld, F.GlobalBits); break;
            case ValueType.V128: EmitField(OpCodes.Stfld, F.GlobalVector); break;
            default: EmitField(OpCodes.Stfld, F.GlobalRef); break;
        }
    }

    // ---- calls ----------------------------------------------------------------------------

    private void EmitCall(int funcIndex)
    {
        var type = _m.Definition.FunctionType(funcIndex);
        FlushFuel();
        // With fuel the call is followed by a statement (the fuel reload): operands below the
        // arguments would each get a JIT temporary of their own there (see SpillTop).
        Reload(SpillTop(_fuel ? _stack.Count : 0));
        var extras = ExtraResultLocals(type);
        foreach (var l in extras) _il.Emit(OpCodes.Ldloca, l);
        if (funcIndex >= _m.Definition.ImportedFunctionCount)
        {
            if (_fuel) _il.Emit(OpCodes.Ldloc, _fuelLocal!);
            EmitCtx();
            _il.Emit(OpCodes.Call, _m.Methods[funcIndex]!);
        }
        else
        {
            var f = Scratch(typeof(Func));
            EmitCtx();
            EmitField(OpCodes.Ldfld, F.CtxFuncs);
            EmitIntConst(funcIndex);
            _il.Emit(OpCodes.Ldelem_Ref);
            _il.Emit(OpCodes.Stloc, f);
            EmitCalli(f, type);
        }
        FinishCall(type, extras);
    }

    private void EmitCallIndirect(uint typeIndex, int table)
    {
        var type = _m.Definition.Types[(int)typeIndex];
        // stack: args..., index. The target is looked up with the arguments off the IL stack (see SpillTop).
        FlushFuel();
        var operands = SpillTop(_stack.Count);
        // The lookup traps on a null element or another signature: the store must hold the fuel then.
        CommitFuel();
        if (operands.Length > 0) _il.Emit(OpCodes.Ldloc, operands[^1]);
        EmitCtx();
        EmitField(OpCodes.Ldfld, F.CtxTables);
        EmitIntConst(table);
        _il.Emit(OpCodes.Ldelem_Ref);
        EmitField(OpCodes.Ldfld, F.TableElements);
        EmitTypeId((int)typeIndex);
        _il.Emit(OpCodes.Call, M.IndirectTarget);
        var f = Scratch(typeof(Func));
        _il.Emit(OpCodes.Stloc, f);
        if (operands.Length > 0) Reload(operands[..^1]);
        Pop();
        var extras = ExtraResultLocals(type);
        foreach (var l in extras) _il.Emit(OpCodes.Ldloca, l);
        EmitCalli(f, type);
        FinishCall(type, extras);
    }

    private void EmitCalli(LocalBuilder f, FuncType type)
    {
        if (_fuel) _il.Emit(OpCodes.Ldloc, _fuelLocal!);
        _il.Emit(OpCodes.Ldloc, f);
        EmitField(OpCodes.Ldfld, F.FuncTarget);
        _il.Emit(OpCodes.Ldloc, f);
        EmitField(OpCodes.Ldfld, F.FuncCode);
        _il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ClrTypes.ReturnType(type), ClrTypes.Parameters(type, typeof(object), _fuel), null);
    }

    /// <summary>
    /// Moves the top <paramref name="n"/> operands from the IL stack into slot locals (one per
    /// position and type, shared by all call sites) around the statements a call brings: a
    /// call_indirect's target lookup, and the fuel reload after a call. Left on the IL stack,
    /// RyuJIT would copy each operand that reads memory into a fresh temporary at every such statement; thousands of them in an interpreter loop push its locals
    /// past what the JIT tracks (about 1,000), and the rest live in memory and are zeroed on entry.
    /// </summary>
    private LocalBuilder[] SpillTop(int n) => Spill(_stack.Count - n, n);

    // Only large functions have the thousands of sites that exhaust the JIT's tracked locals; in a
    // small one (fib) the JIT's own single-use temporaries compile better than shared slots.
    private bool SpillsOperands => _body.CodeLength > 2048;

    /// <summary>Stores the operands at type-stack positions [first, first + n), which must be the top of the IL stack, into slot locals.</summary>
    private LocalBuilder[] Spill(int first, int n)
    {
        if (!SpillsOperands) n = 0;
        var locals = new LocalBuilder[n];
        for (int i = n - 1; i >= 0; i--)
        {
            var t = _stack[first + i];
            if (!_slots.TryGetValue((t, first + i), out var l)) _slots[(t, first + i)] = l = _il.DeclareLocal(ClrTypes.Of(t));
            _il.Emit(OpCodes.Stloc, l);
            locals[i] = l;
        }
        return locals;
    }

    private void Reload(LocalBuilder[] locals)
    {
        foreach (var l in locals) _il.Emit(OpCodes.Ldloc, l);
    }

    private LocalBuilder[] ExtraResultLocals(FuncType type)
    {
        if (type.Results.Length <= 1) return [];
        var locals = new LocalBuilder[type.Results.Length - 1];
        for (int i = 1; i < type.Results.Length; i++) locals[i - 1] = _il.DeclareLocal(ClrTypes.Of(type.Results[i]));
        return locals;
    }

    private void FinishCall(FuncType type, LocalBuilder[] extras)
    {
        PopN(type.Params.Length);
        foreach (var l in extras) _il.Emit(OpCodes.Ldloc, l);
        _stack.AddRange(type.Results);
        ReloadMemory();
        ReloadFuel();
    }

    // ---- memory -----------------------------------------------------------------------------

    /// <summary>
    /// Scalar loads and stores, emitted inline rather than as calls to <see cref="MemoryOps"/>:
    /// RyuJIT inlines nothing into a method with more than 512 locals (interpreter loops) and an
    /// ahead-of-time image cannot inline across assemblies, so a helper call would stay a call.
    /// The bounds check is the same as MemoryOps.At: the whole access inside the buffer, or a trap.
    /// </summary>
    private void EmitMemoryAccess(Opcode op, WasmReader r)
    {
        var (_, offset) = r.ReadMemArg();
        var il = _il;
        var (size, type) = op switch
        {
            Opcode.I32Load or Opcode.I32Store => (4, ValueType.I32),
            Opcode.I64Load or Opcode.I64Store => (8, ValueType.I64),
            Opcode.F32Load or Opcode.F32Store => (4, ValueType.F32),
            Opcode.F64Load or Opcode.F64Store => (8, ValueType.F64),
            Opcode.I32Load8S or Opcode.I32Load8U or Opcode.I32Store8 => (1, ValueType.I32),
            Opcode.I32Load16S or Opcode.I32Load16U or Opcode.I32Store16 => (2, ValueType.I32),
            Opcode.I64Load8S or Opcode.I64Load8U or Opcode.I64Store8 => (1, ValueType.I64),
            Opcode.I64Load16S or Opcode.I64Load16U or Opcode.I64Store16 => (2, ValueType.I64),
            _ => (4, ValueType.I64), // I64Load32S/U, I64Store32
        };
        bool isStore = op >= Opcode.I32Store;
        LocalBuilder? value = null;
        if (isStore)
        {
            value = Scratch(ClrTypes.Of(type));
            il.Emit(OpCodes.Stloc, value);
        }

        // ea = (ulong)(uint)addr + offset; trap unless ea + size <= mem.Length
        var ea = Scratch(typeof(ulong));
        il.Emit(OpCodes.Conv_U8);
        if (offset != 0)
        {
            il.Emit(OpCodes.Ldc_I8, (long)offset);
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Stloc, ea);
        // The bounds check branches: operands still on the IL stack below would each get a JIT
        // temporary of their own at this branch (see SpillTop), so they wait in slot locals.
        var below = Spill(0, _stack.Count - (isStore ? 2 : 1));
        // In bounds when ea <= length - size, compared signed (ea < 2^33, length - size >= -16):
        // the limit is loop-invariant, so in a loop the check is one compare against a register.
        il.Emit(OpCodes.Ldloc, ea);
        il.Emit(OpCodes.Ldloc, _mem!);
        il.Emit(OpCodes.Ldlen);
        il.Emit(OpCodes.Conv_I8);
        var inBounds = il.DefineLabel();
        if (size == 1)
            il.Emit(OpCodes.Blt, inBounds);
        else
        {
            il.Emit(OpCodes.Ldc_I8, (long)size);
            il.Emit(OpCodes.Sub);
            il.Emit(OpCodes.Ble, inBounds);
        }
        EmitTrap(M.ThrowMemoryOutOfBounds);
        il.MarkLabel(inBounds);
        Reload(below);

        if (isStore && _dirtyFlags is not null)
        {
            // Mark the page of the first written byte dirty (a reset copies dirty pages plus
            // Memory.StoreSpill bytes, so the rest of a store that crosses into the next page is
            // covered). In bounds by construction: the access is inside mem, one flag per page.
            EmitMarkDirty(ea);
        }

        // ref mem[ea]
        il.Emit(OpCodes.Ldloc, _mem!);
        il.Emit(OpCodes.Call, M.ArrayData);
        il.Emit(OpCodes.Ldloc, ea);
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Add);

        if (isStore)
        {
            il.Emit(OpCodes.Ldloc, value!);
            if (type == ValueType.I64 && size < 8) il.Emit(OpCodes.Conv_I4);
            if (size > 1) il.Emit(OpCodes.Unaligned, (byte)1);
            il.Emit(op switch
            {
                Opcode.I32Store8 or Opcode.I64Store8 => OpCodes.Stind_I1,
                Opcode.I32Store16 or Opcode.I64Store16 => OpCodes.Stind_I2,
                Opcode.I64Store => OpCodes.Stind_I8,
                Opcode.F32Store => OpCodes.Stind_R4,
                Opcode.F64Store => OpCodes.Stind_R8,
                _ => OpCodes.Stind_I4,
            });
            PopN(2);
            return;
        }

        if (size > 1) il.Emit(OpCodes.Unaligned, (byte)1);
        switch (op)
        {
            case Opcode.I32Load: il.Emit(OpCodes.Ldind_I4); break;
            case Opcode.I64Load: il.Emit(OpCodes.Ldind_I8); break;
            case Opcode.F32Load: il.Emit(OpCodes.Ldind_R4); break;
            case Opcode.F64Load: il.Emit(OpCodes.Ldind_R8); break;
            case Opcode.I32Load8S: il.Emit(OpCodes.Ldind_I1); break;
            case Opcode.I32Load8U: il.Emit(OpCodes.Ldind_U1); break;
            case Opcode.I32Load16S: il.Emit(OpCodes.Ldind_I2); break;
            case Opcode.I32Load16U: il.Emit(OpCodes.Ldind_U2); break;
            case Opcode.I64Load8S: il.Emit(OpCodes.Ldind_I1); il.Emit(OpCodes.Conv_I8); break;
            case Opcode.I64Load8U: il.Emit(OpCodes.Ldind_U1); il.Emit(OpCodes.Conv_U8); break;
            case Opcode.I64Load16S: il.Emit(OpCodes.Ldind_I2); il.Emit(OpCodes.Conv_I8); break;
            case Opcode.I64Load16U: il.Emit(OpCodes.Ldind_U2); il.Emit(OpCodes.Conv_U8); break;
            case Opcode.I64Load32S: il.Emit(OpCodes.Ldind_I4); il.Emit(OpCodes.Conv_I8); break;
            default: il.Emit(OpCodes.Ldind_U4); il.Emit(OpCodes.Conv_U8); break; // I64Load32U
        }
        Pop();
        Push(type);
    }

    /// <summary>dirty[ea >> DirtyPageShift] = 1</summary>
    private void EmitMarkDirty(LocalBuilder ea)
    {
        var il = _il;
        il.Emit(OpCodes.Ldloc, _dirtyFlags!);
        il.Emit(OpCodes.Ldloc, ea);
        EmitIntConst(Memory.DirtyPageShift);
        il.Emit(OpCodes.Shr_Un);
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Stind_I1);
    }

    // ---- 0xFC prefix: saturating truncation, bulk memory, tables -----------------------------

    private void EmitPrefixed(Opcode op, WasmReader r)
    {
        var il = _il;
        switch (op)
        {
            case >= Opcode.I32TruncSatF32S and <= Opcode.I64TruncSatF64U:
                il.Emit(OpCodes.Call, M.Numeric[op]);
                Pop();
                Push(op <= Opcode.I32TruncSatF64U ? ValueType.I32 : ValueType.I64);
                return;
            case Opcode.MemoryInit:
            {
                int seg = (int)r.ReadVarU32();
                r.ReadByte();
                FlushFuel();
                EmitIntConst(seg);
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.MemoryInit);
                ReloadFuel();
                PopN(3);
                return;
            }
            case Opcode.DataDrop:
                EmitIntConst((int)r.ReadVarU32());
                EmitCtx();
                il.Emit(OpCodes.Call, M.DataDrop);
                return;
            case Opcode.MemoryCopy:
                r.ReadByte();
                r.ReadByte();
                FlushFuel();
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.MemoryCopy);
                ReloadFuel();
                PopN(3);
                return;
            case Opcode.MemoryFill:
                r.ReadByte();
                FlushFuel();
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.MemoryFill);
                ReloadFuel();
                PopN(3);
                return;
            case Opcode.TableInit:
            {
                int seg = (int)r.ReadVarU32();
                int table = (int)r.ReadVarU32();
                FlushFuel();
                EmitIntConst(seg);
                EmitIntConst(table);
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.TableInit);
                ReloadFuel();
                PopN(3);
                return;
            }
            case Opcode.ElemDrop:
                EmitIntConst((int)r.ReadVarU32());
                EmitCtx();
                il.Emit(OpCodes.Call, M.ElemDrop);
                return;
            case Opcode.TableCopy:
            {
                int dst = (int)r.ReadVarU32();
                int src = (int)r.ReadVarU32();
                FlushFuel();
                EmitIntConst(dst);
                EmitIntConst(src);
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.TableCopy);
                ReloadFuel();
                PopN(3);
                return;
            }
            case Opcode.TableGrow:
                FlushFuel();
                EmitIntConst((int)r.ReadVarU32());
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.TableGrow);
                ReloadFuel();
                PopN(2);
                Push(ValueType.I32);
                return;
            case Opcode.TableSize:
                EmitIntConst((int)r.ReadVarU32());
                EmitCtx();
                il.Emit(OpCodes.Call, M.TableSize);
                Push(ValueType.I32);
                return;
            case Opcode.TableFill:
                FlushFuel();
                EmitIntConst((int)r.ReadVarU32());
                EmitCtx();
                CommitFuel();
                il.Emit(OpCodes.Call, M.TableFill);
                ReloadFuel();
                PopN(3);
                return;
            default:
                throw new WasmDecodeException($"illegal opcode 0x{(int)op:x4}");
        }
    }

    // ---- numeric ----------------------------------------------------------------------------

    private void EmitNumeric(Opcode op)
    {
        var il = _il;
        // Direct IL where Wasm and CLR semantics agree; helper calls (inlined by the JIT) elsewhere.
        switch (op)
        {
            case Opcode.I32Eqz: il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Ceq); Unary(ValueType.I32); return;
            case Opcode.I64Eqz: il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Conv_I8); il.Emit(OpCodes.Ceq); Unary(ValueType.I32); return;
            case Opcode.I32Eq or Opcode.I64Eq or Opcode.F32Eq or Opcode.F64Eq: il.Emit(OpCodes.Ceq); Binary(ValueType.I32); return;
            case Opcode.I32Ne or Opcode.I64Ne or Opcode.F32Ne or Opcode.F64Ne: il.Emit(OpCodes.Ceq); Not(); Binary(ValueType.I32); return;
            case Opcode.I32LtS or Opcode.I64LtS or Opcode.F32Lt or Opcode.F64Lt: il.Emit(OpCodes.Clt); Binary(ValueType.I32); return;
            case Opcode.I32LtU or Opcode.I64LtU: il.Emit(OpCodes.Clt_Un); Binary(ValueType.I32); return;
            case Opcode.I32GtS or Opcode.I64GtS or Opcode.F32Gt or Opcode.F64Gt: il.Emit(OpCodes.Cgt); Binary(ValueType.I32); return;
            case Opcode.I32GtU or Opcode.I64GtU: il.Emit(OpCodes.Cgt_Un); Binary(ValueType.I32); return;
            case Opcode.I32LeS or Opcode.I64LeS: il.Emit(OpCodes.Cgt); Not(); Binary(ValueType.I32); return;
            case Opcode.I32LeU or Opcode.I64LeU: il.Emit(OpCodes.Cgt_Un); Not(); Binary(ValueType.I32); return;
            case Opcode.I32GeS or Opcode.I64GeS: il.Emit(OpCodes.Clt); Not(); Binary(ValueType.I32); return;
            case Opcode.I32GeU or Opcode.I64GeU: il.Emit(OpCodes.Clt_Un); Not(); Binary(ValueType.I32); return;
            // Floats: a <= b is !(a > b or unordered); cgt.un/clt.un are true when unordered.
            case Opcode.F32Le or Opcode.F64Le: il.Emit(OpCodes.Cgt_Un); Not(); Binary(ValueType.I32); return;
            case Opcode.F32Ge or Opcode.F64Ge: il.Emit(OpCodes.Clt_Un); Not(); Binary(ValueType.I32); return;

            case Opcode.I32Add or Opcode.I64Add or Opcode.F32Add or Opcode.F64Add: il.Emit(OpCodes.Add); BinarySame(); return;
            case Opcode.I32Sub or Opcode.I64Sub or Opcode.F32Sub or Opcode.F64Sub: il.Emit(OpCodes.Sub); BinarySame(); return;
            case Opcode.I32Mul or Opcode.I64Mul or Opcode.F32Mul or Opcode.F64Mul: il.Emit(OpCodes.Mul); BinarySame(); return;
            case Opcode.F32Div or Opcode.F64Div: il.Emit(OpCodes.Div); BinarySame(); return;
            case Opcode.I32And or Opcode.I64And: il.Emit(OpCodes.And); BinarySame(); return;
            case Opcode.I32Or or Opcode.I64Or: il.Emit(OpCodes.Or); BinarySame(); return;
            case Opcode.I32Xor or Opcode.I64Xor: il.Emit(OpCodes.Xor); BinarySame(); return;
            case Opcode.I32Shl: EmitIntConst(31); il.Emit(OpCodes.And); il.Emit(OpCodes.Shl); BinarySame(); return;
            case Opcode.I32ShrS: EmitIntConst(31); il.Emit(OpCodes.And); il.Emit(OpCodes.Shr); BinarySame(); return;
            case Opcode.I32ShrU: EmitIntConst(31); il.Emit(OpCodes.And); il.Emit(OpCodes.Shr_Un); BinarySame(); return;
            case Opcode.I64Shl: il.Emit(OpCodes.Conv_I4); EmitIntConst(63); il.Emit(OpCodes.And); il.Emit(OpCodes.Shl); BinarySame(); return;
            case Opcode.I64ShrS: il.Emit(OpCodes.Conv_I4); EmitIntConst(63); il.Emit(OpCodes.And); il.Emit(OpCodes.Shr); BinarySame(); return;
            case Opcode.I64ShrU: il.Emit(OpCodes.Conv_I4); EmitIntConst(63); il.Emit(OpCodes.And); il.Emit(OpCodes.Shr_Un); BinarySame(); return;

            case Opcode.I32WrapI64: il.Emit(OpCodes.Conv_I4); Unary(ValueType.I32); return;
            case Opcode.I64ExtendI32S: il.Emit(OpCodes.Conv_I8); Unary(ValueType.I64); return;
            case Opcode.I64ExtendI32U: il.Emit(OpCodes.Conv_U8); Unary(ValueType.I64); return;
            case Opcode.I32Extend8S: il.Emit(OpCodes.Conv_I1); Unary(ValueType.I32); return;
            case Opcode.I32Extend16S: il.Emit(OpCodes.Conv_I2); Unary(ValueType.I32); return;
            case Opcode.I64Extend8S: il.Emit(OpCodes.Conv_I1); il.Emit(OpCodes.Conv_I8); Unary(ValueType.I64); return;
            case Opcode.I64Extend16S: il.Emit(OpCodes.Conv_I2); il.Emit(OpCodes.Conv_I8); Unary(ValueType.I64); return;
            case Opcode.I64Extend32S: il.Emit(OpCodes.Conv_I4); il.Emit(OpCodes.Conv_I8); Unary(ValueType.I64); return;
            case Opcode.F32ConvertI32S: il.Emit(OpCodes.Conv_R4); Unary(ValueType.F32); return;
            case Opcode.F64ConvertI32S: il.Emit(OpCodes.Conv_R8); Unary(ValueType.F64); return;
            case Opcode.F64ConvertI64S: il.Emit(OpCodes.Conv_R8); Unary(ValueType.F64); return;
            case Opcode.I32ReinterpretF32: il.Emit(OpCodes.Call, M.SingleToInt32Bits); Unary(ValueType.I32); return;
            case Opcode.I64ReinterpretF64: il.Emit(OpCodes.Call, M.DoubleToInt64Bits); Unary(ValueType.I64); return;
            case Opcode.F32ReinterpretI32: il.Emit(OpCodes.Call, M.Int32BitsToSingle); Unary(ValueType.F32); return;
            case Opcode.F64ReinterpretI64: il.Emit(OpCodes.Call, M.Int64BitsToDouble); Unary(ValueType.F64); return;
        }

        if (!M.Numeric.TryGetValue(op, out var helper))
            throw new WasmDecodeException($"illegal opcode 0x{(int)op:x2}");
        il.Emit(OpCodes.Call, helper);
        var ps = helper.GetParameters();
        PopN(ps.Length);
        Push(ValueTypeOf(helper.ReturnType));
    }

    private static ValueType ValueTypeOf(Type t) =>
        t == typeof(int) ? ValueType.I32 : t == typeof(long) ? ValueType.I64 : t == typeof(float) ? ValueType.F32 :
        t == typeof(double) ? ValueType.F64 : t == typeof(Vector128<byte>) ? ValueType.V128 : ValueType.ExternRef;

    private void Not()
    {
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ceq);
    }

    private void Unary(ValueType result)
    {
        Pop();
        Push(result);
    }

    private void Binary(ValueType result)
    {
        PopN(2);
        Push(result);
    }

    private void BinarySame() => Pop();

    // ---- SIMD -------------------------------------------------------------------------------

    private void EmitSimd(Opcode op, WasmReader r)
    {
        var il = _il;
        switch (op)
        {
            case Opcode.V128Const:
            {
                ulong lo = r.ReadU64Fixed(), hi = r.ReadU64Fixed();
                il.Emit(OpCodes.Ldc_I8, (long)lo);
                il.Emit(OpCodes.Ldc_I8, (long)hi);
                il.Emit(OpCodes.Call, M.VectorFromLongs);
                Push(ValueType.V128);
                return;
            }
            case Opcode.V128Load:
            case Opcode.V128Store:
            {
                var (_, offset) = r.ReadMemArg();
                EmitIntConst((int)offset);
                EmitMemoryOperands(op == Opcode.V128Store);
                il.Emit(OpCodes.Call, op == Opcode.V128Load ? M.V128Load : M.V128Store);
                if (op == Opcode.V128Load) Unary(ValueType.V128);
                else PopN(2);
                return;
            }
            case Opcode.I8x16Shuffle:
            {
                var lanes = r.ReadBytes(16);
                il.Emit(OpCodes.Ldc_I8, BitConverter.ToInt64(lanes[..8]));
                il.Emit(OpCodes.Ldc_I8, BitConverter.ToInt64(lanes[8..]));
                il.Emit(OpCodes.Call, M.VectorFromLongs);
                il.Emit(OpCodes.Call, M.Simd(op));
                Binary(ValueType.V128);
                return;
            }
        }

        var method = M.Simd(op);
        bool isMemory = op is >= Opcode.V128Load8x8S and <= Opcode.V128Load64Splat or >= Opcode.V128Load8Lane and <= Opcode.V128Load64Zero;
        if (isMemory)
        {
            var (_, offset) = r.ReadMemArg();
            int lane = op is >= Opcode.V128Load8Lane and <= Opcode.V128Store64Lane ? r.ReadByte() : -1;
            EmitSimdMemory(op, method, offset, lane);
            return;
        }

        int laneImm = -1;
        if (op is >= Opcode.I8x16ExtractLaneS and <= Opcode.F64x2ReplaceLane) laneImm = r.ReadByte();
        if (laneImm >= 0) EmitIntConst(laneImm);
        il.Emit(OpCodes.Call, method);
        int popped = method.GetParameters().Length - (laneImm >= 0 ? 1 : 0);
        PopN(popped);
        if (method.ReturnType != typeof(void)) Push(ValueTypeOf(method.ReturnType));
    }

    /// <summary>
    /// SIMD memory forms reuse the scalar bounds-checked loads/stores: the scalar bits are read
    /// (or the lane extracted) by MemoryOps, then SimdOps builds the vector.
    /// </summary>
    private void EmitSimdMemory(Opcode op, MethodInfo method, uint offset, int lane)
    {
        var il = _il;
        switch (op)
        {
            case Opcode.V128Load8x8S or Opcode.V128Load8x8U or Opcode.V128Load16x4S or Opcode.V128Load16x4U or Opcode.V128Load32x2S or Opcode.V128Load32x2U
                or Opcode.V128Load64Splat or Opcode.V128Load64Zero:
                EmitIntConst((int)offset); il.Emit(OpCodes.Ldloc, _mem!); il.Emit(OpCodes.Call, M.Memory[Opcode.I64Load]);
                il.Emit(OpCodes.Call, method);
                Unary(ValueType.V128);
                return;
            case Opcode.V128Load8Splat:
                EmitIntConst((int)offset); il.Emit(OpCodes.Ldloc, _mem!); il.Emit(OpCodes.Call, M.Memory[Opcode.I32Load8U]);
                il.Emit(OpCodes.Call, method); Unary(ValueType.V128); return;
            case Opcode.V128Load16Splat:
                EmitIntConst((int)offset); il.Emit(OpCodes.Ldloc, _mem!); il.Emit(OpCodes.Call, M.Memory[Opcode.I32Load16U]);
                il.Emit(OpCodes.Call, method); Unary(ValueType.V128); return;
            case Opcode.V128Load32Splat or Opcode.V128Load32Zero:
                EmitIntConst((int)offset); il.Emit(OpCodes.Ldloc, _mem!); il.Emit(OpCodes.Call, M.Memory[Opcode.I32Load]);
                il.Emit(OpCodes.Call, method); Unary(ValueType.V128); return;
            case Opcode.V128Load8Lane or Opcode.V128Load16Lane or Opcode.V128Load32Lane or Opcode.V128Load64Lane:
            {
                // stack: addr, v  ->  v' = replace_lane(v, load(addr), lane)
                var v = Scratch(typeof(Vector128<byte>));
                il.Emit(OpCodes.Stloc, v);
                var load = op switch
                {
                    Opcode.V128Load8Lane => M.Memory[Opcode.I32Load8U],
                    Opcode.V128Load16Lane => M.Memory[Opcode.I32Load16U],
                    Opcode.V128Load32Lane => M.Memory[Opcode.I32Load],
                    _ => M.Memory[Opcode.I64Load],
                };
                EmitIntConst((int)offset); il.Emit(OpCodes.Ldloc, _mem!); il.Emit(OpCodes.Call, load);
                var scalar = Scratch(load.ReturnType);
                il.Emit(OpCodes.Stloc, scalar);
                il.Emit(OpCodes.Ldloc, v);
                il.Emit(OpCodes.Ldloc, scalar);
                EmitIntConst(lane);
                il.Emit(OpCodes.Call, method);
                Binary(ValueType.V128);
                return;
            }
            default: // store lanes: stack addr, v -> store(addr, extract(v, lane))
            {
                EmitIntConst(lane);
                il.Emit(OpCodes.Call, method);
                var store = op switch
                {
                    Opcode.V128Store8Lane => M.Memory[Opcode.I32Store8],
                    Opcode.V128Store16Lane => M.Memory[Opcode.I32Store16],
                    Opcode.V128Store32Lane => M.Memory[Opcode.I32Store],
                    _ => M.Memory[Opcode.I64Store],
                };
                EmitIntConst((int)offset); EmitMemoryOperands(store: true); il.Emit(OpCodes.Call, store);
                PopN(2);
                return;
            }
        }
    }

    // ---- reflection handles ---------------------------------------------------------------

    private static class F
    {
        public static readonly FieldInfo CtxStore = typeof(InstanceContext).GetField(nameof(InstanceContext.Store), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo CtxMemory = typeof(InstanceContext).GetField(nameof(InstanceContext.Memory), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo CtxTables = typeof(InstanceContext).GetField(nameof(InstanceContext.Tables), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo CtxFuncs = typeof(InstanceContext).GetField(nameof(InstanceContext.Funcs), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo CtxGlobalCells = typeof(InstanceContext).GetField(nameof(InstanceContext.GlobalCells), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo MemoryBuffer = typeof(Memory).GetField(nameof(Memory.Buffer), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo MemoryDirty = typeof(Memory).GetField(nameof(Memory.Dirty), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo TableElements = typeof(Table).GetField(nameof(Table.Elements), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo FuncTarget = typeof(Func).GetField(nameof(Func.Target), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo FuncCode = typeof(Func).GetField(nameof(Func.Code), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo GlobalBits = typeof(Global).GetField(nameof(Global.Bits), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo GlobalVector = typeof(Global).GetField(nameof(Global.Vector), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo GlobalRef = typeof(Global).GetField(nameof(Global.Ref), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo StoreFuel = typeof(Store).GetField(nameof(Store.FuelRemaining), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo StoreInterrupt = typeof(Store).GetField(nameof(Store.InterruptRequested), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo StoreFuelFloor = typeof(Store).GetField(nameof(Store.FuelFloor), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo StoreCallDepth = typeof(Store).GetField(nameof(Store.CallDepth), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo StoreStackLimit = typeof(Store).GetField(nameof(Store.StackLimit), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo StoreMaxCallDepth = typeof(Store).GetField(nameof(Store.MaxCallDepth), BindingFlags.Instance | BindingFlags.NonPublic)!;
        public static readonly FieldInfo OpaqueF32One = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F32One))!;
        public static readonly FieldInfo OpaqueF32MinusOne = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F32MinusOne))!;
        public static readonly FieldInfo OpaqueF32Zero = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F32Zero))!;
        public static readonly FieldInfo OpaqueF32MinusZero = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F32MinusZero))!;
        public static readonly FieldInfo OpaqueF64One = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F64One))!;
        public static readonly FieldInfo OpaqueF64MinusOne = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F64MinusOne))!;
        public static readonly FieldInfo OpaqueF64Zero = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F64Zero))!;
        public static readonly FieldInfo OpaqueF64MinusZero = typeof(OpaqueConstants).GetField(nameof(OpaqueConstants.F64MinusZero))!;
    }

    private static class M
    {
        public static readonly MethodInfo ThrowStack = typeof(Throw).GetMethod(nameof(Throw.CallStackExhausted))!;
        public static readonly MethodInfo ThrowInterrupted = typeof(Throw).GetMethod(nameof(Throw.Interrupted))!;
        public static readonly MethodInfo ThrowBelowFuelFloor = typeof(Throw).GetMethod(nameof(Throw.BelowFuelFloor))!;
        public static readonly MethodInfo ThrowUnreachable = typeof(Throw).GetMethod(nameof(Throw.Unreachable))!;
        public static readonly MethodInfo ThrowMemoryOutOfBounds = typeof(Throw).GetMethod(nameof(Throw.MemoryOutOfBounds))!;
        public static readonly MethodInfo ArrayData = typeof(System.Runtime.InteropServices.MemoryMarshal).GetMethods()
            .Single(m => m.Name == nameof(System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference) && m.IsGenericMethodDefinition)
            .MakeGenericMethod(typeof(byte));
        public static readonly MethodInfo Int32BitsToSingle = typeof(BitConverter).GetMethod(nameof(BitConverter.Int32BitsToSingle))!;
        public static readonly MethodInfo Int64BitsToDouble = typeof(BitConverter).GetMethod(nameof(BitConverter.Int64BitsToDouble))!;
        public static readonly MethodInfo SingleToInt32Bits = typeof(BitConverter).GetMethod(nameof(BitConverter.SingleToInt32Bits))!;
        public static readonly MethodInfo DoubleToInt64Bits = typeof(BitConverter).GetMethod(nameof(BitConverter.DoubleToInt64Bits))!;
        public static readonly MethodInfo OpaqueF32FromBits = typeof(OpaqueConstants).GetMethod(nameof(OpaqueConstants.F32FromBits))!;
        public static readonly MethodInfo OpaqueF64FromBits = typeof(OpaqueConstants).GetMethod(nameof(OpaqueConstants.F64FromBits))!;
        public static readonly MethodInfo IndirectTarget = typeof(TableOps).GetMethod(nameof(TableOps.IndirectTarget))!;
        public static readonly MethodInfo TableGet = typeof(TableOps).GetMethod(nameof(TableOps.Get))!;
        public static readonly MethodInfo TableSet = typeof(TableOps).GetMethod(nameof(TableOps.Set))!;
        public static readonly MethodInfo TableSize = typeof(TableOps).GetMethod(nameof(TableOps.Size))!;
        public static readonly MethodInfo TableGrow = typeof(TableOps).GetMethod(nameof(TableOps.Grow))!;
        public static readonly MethodInfo TableFill = typeof(TableOps).GetMethod(nameof(TableOps.Fill))!;
        public static readonly MethodInfo TableCopy = typeof(TableOps).GetMethod(nameof(TableOps.Copy))!;
        public static readonly MethodInfo TableInit = typeof(TableOps).GetMethod(nameof(TableOps.Init))!;
        public static readonly MethodInfo ElemDrop = typeof(TableOps).GetMethod(nameof(TableOps.ElemDrop))!;
        public static readonly MethodInfo MemorySize = typeof(MemoryOps).GetMethod(nameof(MemoryOps.MemorySize))!;
        public static readonly MethodInfo MemoryGrow = typeof(MemoryOps).GetMethod(nameof(MemoryOps.MemoryGrow))!;
        public static readonly MethodInfo MemoryFill = typeof(MemoryOps).GetMethod(nameof(MemoryOps.MemoryFill))!;
        public static readonly MethodInfo MemoryCopy = typeof(MemoryOps).GetMethod(nameof(MemoryOps.MemoryCopy))!;
        public static readonly MethodInfo MemoryInit = typeof(MemoryOps).GetMethod(nameof(MemoryOps.MemoryInit))!;
        public static readonly MethodInfo DataDrop = typeof(MemoryOps).GetMethod(nameof(MemoryOps.DataDrop))!;
        public static readonly MethodInfo V128Load = typeof(MemoryOps).GetMethod(nameof(MemoryOps.V128Load))!;
        public static readonly MethodInfo V128Store = typeof(MemoryOps).GetMethod(nameof(MemoryOps.V128Store))!;
        public static readonly MethodInfo VectorFromLongs = typeof(FunctionCompiler).GetMethod(nameof(VectorFrom), BindingFlags.Static | BindingFlags.NonPublic)!;

        // The scalar helpers the SIMD lane loads and stores use (scalar operators are emitted inline).
        public static readonly Dictionary<Opcode, MethodInfo> Memory = new[]
            {
                Opcode.I32Load, Opcode.I64Load, Opcode.I32Load8U, Opcode.I32Load16U,
                Opcode.I32Store, Opcode.I64Store, Opcode.I32Store8, Opcode.I32Store16,
            }
            .ToDictionary(o => o, o => typeof(MemoryOps).GetMethod(o.ToString())!);

        public static readonly Dictionary<Opcode, MethodInfo> Numeric = Enum.GetValues<Opcode>()
            .Where(o => (int)o < 0xFD00)
            .Select(o => (o, m: typeof(NumericOps).GetMethod(o.ToString())))
            .Where(x => x.m is not null)
            .ToDictionary(x => x.o, x => x.m!);

        private static readonly Type? SimdType = typeof(FunctionCompiler).Assembly.GetType("AsyncGrader.Wasm.Compilation.SimdOps");

        public static MethodInfo Simd(Opcode op) =>
            SimdType?.GetMethod(op.ToString(), BindingFlags.Public | BindingFlags.Static)
            ?? throw new WasmValidationException($"SIMD operator {op} is not supported by this engine build");
    }

    private static Vector128<byte> VectorFrom(long lo, long hi) => Vector128.Create(lo, hi).AsByte();
}
