using System.Reflection;
using AsyncGrader.Wasm.Binary;
using AsyncGrader.Wasm.Compilation;

namespace AsyncGrader.Wasm.Runtime;

/// <summary>
/// Instantiation: resolve imports, create the instance's memory, tables and globals, then (Wasm
/// 2.0 order) apply element segments, data segments and run the start function. From a
/// snapshot, the state is copied instead and no initialisation code runs.
/// </summary>
internal static class Instantiator
{
    public static Instance Instantiate(Linker linker, Store store, Module module, Snapshot? snapshot)
    {
        var def = module.Definition;
        var compiled = module.Compiled;
        var engine = module.Engine;
        if (store.Engine != engine || linker.Engine != engine) throw new WasmLinkException("module, store and linker must share one engine");
        if (snapshot is not null && snapshot.TryTakeContext(linker, out var recycled)) return Reuse(recycled, store, snapshot);

        var ctx = compiled.CreateContext();
        ctx.Store = store;
        ctx.Module = module;
        ctx.Funcs = new Func[def.TotalFunctionCount];
        ctx.Tables = new Table[def.TotalTableCount];
        ctx.GlobalCells = new Global?[def.TotalGlobalCount];

        // Imports, in order, checked against the declared types.
        int fi = 0, ti = 0, mi = 0, gi = 0;
        foreach (var imp in def.Imports)
        {
            if (!linker.TryGet(imp.Module, imp.Name, out var item) || item is null)
                throw new WasmLinkException($"unknown import: {imp.Module}.{imp.Name}");
            switch (imp.Kind)
            {
                case ExternKind.Func:
                    var want = def.Types[(int)imp.FuncTypeIndex];
                    if (item is not Func f || !f.Type.Equals(want))
                        throw new WasmLinkException($"incompatible import type for {imp.Module}.{imp.Name}: expected func {want}");
                    // A guest function runs on its own store's fuel, call depth and limits: calls
                    // between stores would charge one store's work to another (docs/FUEL.md).
                    if (f.Target is InstanceContext owner && owner.Store != store)
                        throw new WasmLinkException($"import {imp.Module}.{imp.Name} is a function of an instance in another store");
                    ctx.Funcs[fi++] = HostFunction.Bind(f, ctx);
                    break;
                case ExternKind.Table:
                    var tt = imp.Table!;
                    if (item is not Table t || t.ElementType != tt.ElementType || !LimitsMatch(t.Size, t.MaxSize, tt.Limits))
                        throw new WasmLinkException($"incompatible import type for {imp.Module}.{imp.Name}: table");
                    ctx.Tables[ti++] = t;
                    break;
                case ExternKind.Memory:
                    if (item is not Memory m || !LimitsMatch(m.Pages, m.MaxPages, imp.Memory!.Limits))
                        throw new WasmLinkException($"incompatible import type for {imp.Module}.{imp.Name}: memory");
                    ctx.Memory = m;
                    mi++;
                    break;
                case ExternKind.Global:
                    if (item is not Global g || g.Type != imp.Global.Type || g.Mutable != imp.Global.Mutable)
                        throw new WasmLinkException($"incompatible import type for {imp.Module}.{imp.Name}: global");
                    ctx.GlobalCells[gi++] = g;
                    break;
            }
        }

        for (int f = def.ImportedFunctionCount; f < def.TotalFunctionCount; f++)
            ctx.Funcs[f] = new Func(engine, def.FunctionType(f), compiled.FunctionTypeIds[f], ctx, compiled.FunctionPointers[f], f);
        foreach (var tt in def.Tables)
            ctx.Tables[ti++] = new Table(store, tt.ElementType, tt.Limits.Min, tt.Limits.Max);
        CreateMemory(ctx, store, snapshot);
        InitGlobals(ctx, snapshot);
        InitSegments(ctx, snapshot);
        var instance = CreateInstance(ctx, store, ownedExports: snapshot is not null);

        if (snapshot is not null)
        {
            SnapshotOps.Restore(snapshot, ctx);
            var pristine = new object?[def.Tables.Count][];
            for (int t = 0; t < pristine.Length; t++) pristine[t] = (object?[])ctx.Tables[def.ImportedTableCount + t].Elements.Clone();
            ctx.Recycle = new RecycleState(snapshot, linker, linker.Version, pristine);
            return instance;
        }

        // Element segments, then data segments: bounds are checked as each one is applied, so a
        // failing segment leaves the earlier ones in place (observable through shared imports).
        for (int i = 0; i < def.Elements.Count; i++)
        {
            var seg = def.Elements[i];
            if (seg.Mode == SegmentMode.Active)
            {
                int offset = Evaluate(seg.Offset!, ctx).AsI32();
                var items = ctx.ElemSegments[i]!;
                var table = ctx.Tables[seg.TableIndex];
                if ((ulong)(uint)offset + (ulong)items.Length > table.Size) throw new WasmTrap(TrapKind.TableOutOfBounds);
                items.AsSpan().CopyTo(table.Elements.AsSpan((int)(uint)offset));
            }
            if (seg.Mode != SegmentMode.Passive) ctx.ElemSegments[i] = null;
        }
        for (int i = 0; i < def.Data.Count; i++)
        {
            var seg = def.Data[i];
            if (seg.Mode != SegmentMode.Active) continue;
            int offset = Evaluate(seg.Offset!, ctx).AsI32();
            var bytes = ctx.DataSegments[i]!;
            var mem = ctx.Memory!;
            if ((ulong)(uint)offset + (ulong)bytes.Length > (ulong)mem.Length) throw new WasmTrap(TrapKind.MemoryOutOfBounds);
            mem.Write((uint)offset, bytes);
            ctx.DataSegments[i] = null;
        }

        if (def.StartFunction is uint start) ctx.Funcs[start].Invoke();
        return instance;
    }

    /// <summary>
    /// A fresh instance from <paramref name="snapshot"/> in the context of a disposed one: its
    /// functions, import bindings and table arrays are kept (a large module has thousands of
    /// functions, each a <see cref="Func"/> bound to its context); everything a job can change is
    /// set back to the snapshot: memory (pooled buffer reset from its dirty pages), globals, tables
    /// (contents and size), segments. Memory, exported tables and globals, and the exported
    /// functions the host sees are new objects, so references kept from the disposed instance never
    /// reach this one.
    /// </summary>
    private static Instance Reuse(InstanceContext ctx, Store store, Snapshot snapshot)
    {
        var def = snapshot.Module.Definition;
        var recycle = ctx.Recycle!;
        ctx.Store = store;
        CreateMemory(ctx, store, snapshot);
        InitGlobals(ctx, snapshot);
        InitSegments(ctx, snapshot);
        var exportedTables = recycle.ExportedTables;
        for (int t = 0; t < recycle.PristineTables.Length; t++)
        {
            int index = def.ImportedTableCount + t;
            var pristine = recycle.PristineTables[t];
            var table = ctx.Tables[index];
            if (exportedTables.Contains(index))
            {
                var tt = def.Tables[t];
                ctx.Tables[index] = table = new Table(store, tt.ElementType, tt.Limits.Min, tt.Limits.Max);
            }
            else table.Rebind(store);
            if (table.Elements.Length != pristine.Length) table.Elements = new object?[pristine.Length];
            Array.Copy(pristine, table.Elements, pristine.Length);
        }
        return CreateInstance(ctx, store, ownedExports: true);
    }

    private static void CreateMemory(InstanceContext ctx, Store store, Snapshot? snapshot)
    {
        foreach (var mt in ctx.Module.Definition.Memories)
            ctx.Memory = snapshot?.Memory is not null
                ? new Memory(store, snapshot, mt.Limits.Min, mt.Limits.Max)
                : new Memory(store, mt.Limits.Min, mt.Limits.Max);
    }

    private static void InitGlobals(InstanceContext ctx, Snapshot? snapshot)
    {
        var def = ctx.Module.Definition;
        var compiled = ctx.Module.Compiled;
        // Defined globals in order; an initializer may read imported (or earlier) globals.
        for (int g = def.ImportedGlobalCount; g < def.TotalGlobalCount; g++)
        {
            var gd = def.Globals[g - def.ImportedGlobalCount];
            var value = snapshot?.Globals[g] ?? Evaluate(gd.Init, ctx);
            if (compiled.GlobalFields[g] is { } field) SetField(field, ctx, value);
            else ctx.GlobalCells[g] = new Global(gd.Type.Type, gd.Type.Mutable, value);
        }
    }

    private static void InitSegments(InstanceContext ctx, Snapshot? snapshot)
    {
        var def = ctx.Module.Definition;
        var compiled = ctx.Module.Compiled;
        // Segments dropped in the snapshot stay dropped; data bytes are shared read-only.
        if (snapshot?.SharedDroppedData is { } noData) ctx.DataSegments = noData;
        else
        {
            ctx.DataSegments = new byte[]?[def.Data.Count];
            for (int i = 0; i < def.Data.Count; i++)
                if (snapshot is null || !snapshot.DroppedData[i]) ctx.DataSegments[i] = compiled.DataSegments[i];
        }
        if (snapshot?.SharedDroppedElements is { } noElems) ctx.ElemSegments = noElems;
        else
        {
            ctx.ElemSegments = new object?[]?[def.Elements.Count];
            for (int i = 0; i < def.Elements.Count; i++)
                if (snapshot is null || !snapshot.DroppedElements[i])
                    ctx.ElemSegments[i] = def.Elements[i].Items.Select(e => Evaluate(e, ctx).AsRef()).ToArray();
        }
    }

    /// <summary>
    /// The instance and its exports. With <paramref name="ownedExports"/> (instances whose context
    /// may be reused), exported functions are handles owned by this instance: calling one after the
    /// instance is disposed traps instead of running in whichever instance reuses the context.
    /// </summary>
    private static Instance CreateInstance(InstanceContext ctx, Store store, bool ownedExports)
    {
        var exports = new Dictionary<string, Extern>();
        var instance = new Instance(ctx.Module, store, ctx, exports);
        foreach (var e in ctx.Module.Definition.Exports)
        {
            exports[e.Name] = e.Kind switch
            {
                ExternKind.Func when ownedExports => ctx.Funcs[e.Index].OwnedBy(instance),
                ExternKind.Func => ctx.Funcs[e.Index],
                ExternKind.Table => ctx.Tables[e.Index],
                ExternKind.Memory => ctx.Memory!,
                _ => ctx.GlobalCells[e.Index]!,
            };
        }
        ctx.Instance = instance;
        return instance;
    }

    private static bool LimitsMatch(uint actualMin, uint? actualMax, Limits wanted)
    {
        if (actualMin < wanted.Min) return false;
        if (wanted.Max is uint wmax) return actualMax is uint amax && amax <= wmax;
        return true;
    }

    internal static Value Evaluate(ConstExpr expr, InstanceContext ctx)
    {
        var stack = new Stack<Value>(2);
        foreach (var ins in expr.Instructions)
        {
            switch (ins.Opcode)
            {
                case Opcode.GlobalGet: stack.Push(ReadGlobal((int)ins.Index, ctx)); break;
                case Opcode.RefFunc: stack.Push(Value.FuncRef(ctx.Funcs[ins.Index])); break;
                case Opcode.I32Add: { var b = stack.Pop(); var a = stack.Pop(); stack.Push(Value.I32(a.AsI32() + b.AsI32())); break; }
                case Opcode.I32Sub: { var b = stack.Pop(); var a = stack.Pop(); stack.Push(Value.I32(a.AsI32() - b.AsI32())); break; }
                case Opcode.I32Mul: { var b = stack.Pop(); var a = stack.Pop(); stack.Push(Value.I32(a.AsI32() * b.AsI32())); break; }
                case Opcode.I64Add: { var b = stack.Pop(); var a = stack.Pop(); stack.Push(Value.I64(a.AsI64() + b.AsI64())); break; }
                case Opcode.I64Sub: { var b = stack.Pop(); var a = stack.Pop(); stack.Push(Value.I64(a.AsI64() - b.AsI64())); break; }
                case Opcode.I64Mul: { var b = stack.Pop(); var a = stack.Pop(); stack.Push(Value.I64(a.AsI64() * b.AsI64())); break; }
                default: stack.Push(ins.Immediate); break;
            }
        }
        return stack.Pop();
    }

    internal static Value ReadGlobal(int g, InstanceContext ctx)
    {
        if (ctx.GlobalCells[g] is { } cell) return cell.Value;
        var field = ctx.Module.Compiled.GlobalFields[g]!;
        var type = ctx.Module.Definition.GlobalType(g).Type;
        object? raw = field.GetValue(ctx);
        return type switch
        {
            ValueType.I32 => Value.I32((int)raw!),
            ValueType.I64 => Value.I64((long)raw!),
            ValueType.F32 => Value.F32((float)raw!),
            ValueType.F64 => Value.F64((double)raw!),
            ValueType.V128 => Value.V128((System.Runtime.Intrinsics.Vector128<byte>)raw!),
            ValueType.FuncRef => Value.FuncRef(raw as Func),
            _ => Value.ExternRef(raw),
        };
    }

    internal static void SetField(FieldInfo field, InstanceContext ctx, Value v)
    {
        object? boxed = v.Type switch
        {
            ValueType.I32 => v.AsI32(),
            ValueType.I64 => v.AsI64(),
            ValueType.F32 => v.AsF32(),
            ValueType.F64 => v.AsF64(),
            ValueType.V128 => v.AsV128(),
            _ => v.AsRef(),
        };
        field.SetValue(ctx, boxed);
    }
}
