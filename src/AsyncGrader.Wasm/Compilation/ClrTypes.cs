using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;

namespace AsyncGrader.Wasm.Compilation;

/// <summary>How Wasm values are represented in compiled code, and the calling convention.</summary>
/// <remarks>
/// A compiled function is <c>static R f(P0..Pn, ref R1..ref Rk, object target)</c>: the first
/// result is returned, further results (multi-value) go through byrefs, and the last argument
/// is the callee's instance context (Wasm) or host binding (host). Keeping the context last
/// means arguments already on the IL stack never need reordering at call sites.
/// <para>
/// In an engine that consumes fuel there is one more argument before the context,
/// <c>long fuel</c>: the caller's remaining fuel, in a register. The callee writes what is left
/// to the store when it returns and the caller reads it back (docs/ENGINE.md, "Calling convention").
/// </para>
/// </remarks>
internal static class ClrTypes
{
    public static Type Of(ValueType t) => t switch
    {
        ValueType.I32 => typeof(int),
        ValueType.I64 => typeof(long),
        ValueType.F32 => typeof(float),
        ValueType.F64 => typeof(double),
        ValueType.V128 => typeof(Vector128<byte>),
        _ => typeof(object),
    };

    public static Type ReturnType(FuncType t) => t.Results.Length == 0 ? typeof(void) : Of(t.Results[0]);

    public static Type[] Parameters(FuncType t, Type targetType, bool fuel)
    {
        var list = new List<Type>(t.Params.Length + t.Results.Length + 2);
        foreach (var p in t.Params) list.Add(Of(p));
        for (int i = 1; i < t.Results.Length; i++) list.Add(Of(t.Results[i]).MakeByRefType());
        if (fuel) list.Add(typeof(long));
        list.Add(targetType);
        return list.ToArray();
    }

    private static readonly MethodInfo AsI32 = typeof(Value).GetMethod(nameof(Value.AsI32))!;
    private static readonly MethodInfo AsI64 = typeof(Value).GetMethod(nameof(Value.AsI64))!;
    private static readonly MethodInfo AsF32 = typeof(Value).GetMethod(nameof(Value.AsF32))!;
    private static readonly MethodInfo AsF64 = typeof(Value).GetMethod(nameof(Value.AsF64))!;
    private static readonly MethodInfo AsV128 = typeof(Value).GetMethod(nameof(Value.AsV128))!;
    private static readonly MethodInfo AsRef = typeof(Value).GetMethod(nameof(Value.AsRef))!;
    private static readonly MethodInfo MakeI32 = typeof(Value).GetMethod(nameof(Value.I32))!;
    private static readonly MethodInfo MakeI64 = typeof(Value).GetMethod(nameof(Value.I64))!;
    private static readonly MethodInfo MakeF32 = typeof(Value).GetMethod(nameof(Value.F32))!;
    private static readonly MethodInfo MakeF64 = typeof(Value).GetMethod(nameof(Value.F64))!;
    private static readonly MethodInfo MakeV128 = typeof(Value).GetMethod(nameof(Value.V128), [typeof(Vector128<byte>)])!;
    private static readonly MethodInfo MakeFuncRef = typeof(Value).GetMethod(nameof(Value.FuncRef))!;
    private static readonly MethodInfo MakeExternRef = typeof(Value).GetMethod(nameof(Value.ExternRef))!;

    /// <summary>With the address of a <see cref="Value"/> on the stack, leaves its typed content.</summary>
    public static void EmitUnbox(ILGenerator il, ValueType t) => il.Emit(OpCodes.Call, t switch
    {
        ValueType.I32 => AsI32,
        ValueType.I64 => AsI64,
        ValueType.F32 => AsF32,
        ValueType.F64 => AsF64,
        ValueType.V128 => AsV128,
        _ => AsRef,
    });

    /// <summary>With a typed value on the stack, leaves a <see cref="Value"/>.</summary>
    public static void EmitBox(ILGenerator il, ValueType t)
    {
        if (t == ValueType.FuncRef) il.Emit(OpCodes.Castclass, typeof(Func));
        il.Emit(OpCodes.Call, t switch
        {
            ValueType.I32 => MakeI32,
            ValueType.I64 => MakeI64,
            ValueType.F32 => MakeF32,
            ValueType.F64 => MakeF64,
            ValueType.V128 => MakeV128,
            ValueType.FuncRef => MakeFuncRef,
            _ => MakeExternRef,
        });
    }

    public static void EmitStoreIndirect(ILGenerator il, ValueType t)
    {
        switch (t)
        {
            case ValueType.I32: il.Emit(OpCodes.Stind_I4); break;
            case ValueType.I64: il.Emit(OpCodes.Stind_I8); break;
            case ValueType.F32: il.Emit(OpCodes.Stind_R4); break;
            case ValueType.F64: il.Emit(OpCodes.Stind_R8); break;
            case ValueType.V128: il.Emit(OpCodes.Stobj, typeof(Vector128<byte>)); break;
            default: il.Emit(OpCodes.Stind_Ref); break;
        }
    }
}
