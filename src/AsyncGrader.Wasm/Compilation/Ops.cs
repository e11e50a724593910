using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AsyncGrader.Wasm.Runtime;

namespace AsyncGrader.Wasm.Compilation;

/// <summary>
/// Trap factories: kept out of line so the compiled fast paths stay small. Callers write
/// <c>throw Throw.X()</c> (compiled code: <c>call X; throw</c>) so the JIT sees that the path ends:
/// a helper that threw itself would look like a call that returns, and values live across it
/// would be kept out of registers.
/// </summary>
internal static class Throw
{
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap Trap(TrapKind kind) => new WasmTrap(kind);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap Unreachable() => new WasmTrap(TrapKind.Unreachable);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap MemoryOutOfBounds() => new WasmTrap(TrapKind.MemoryOutOfBounds);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap TableOutOfBounds() => new WasmTrap(TrapKind.TableOutOfBounds);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap DivideByZero() => new WasmTrap(TrapKind.IntegerDivideByZero);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap Overflow() => new WasmTrap(TrapKind.IntegerOverflow);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap InvalidConversion() => new WasmTrap(TrapKind.InvalidConversionToInteger);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap CallStackExhausted() => new WasmTrap(TrapKind.CallStackExhausted);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap Interrupted() => new WasmTrap(TrapKind.Interrupted);
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap OutOfFuel() => new WasmTrap(TrapKind.OutOfFuel);
    /// <summary>The remaining fuel fell below the store's floor: an interrupt, else exhaustion.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] public static WasmTrap BelowFuelFloor(Store store) =>
        new WasmTrap(store.InterruptRequested ? TrapKind.Interrupted : TrapKind.OutOfFuel);
}

/// <summary>
/// Guest memory access for the SIMD loads and stores and the bulk operations (scalar loads and
/// stores are emitted inline by FunctionCompiler with the same check). Every effective address is
/// computed in 64 bits (so address + offset cannot wrap) and checked against the array length
/// before the unchecked read or write.
/// </summary>
internal static class MemoryOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte At(byte[] mem, int addr, uint offset, int size)
    {
        ulong ea = (ulong)(uint)addr + offset;
        if (ea + (ulong)size > (ulong)mem.Length) throw Throw.MemoryOutOfBounds();
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(mem), (nint)ea);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Load(int a, uint o, byte[] m) => Unsafe.ReadUnaligned<int>(ref At(m, a, o, 4));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long I64Load(int a, uint o, byte[] m) => Unsafe.ReadUnaligned<long>(ref At(m, a, o, 8));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Load8U(int a, uint o, byte[] m) => At(m, a, o, 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Load16U(int a, uint o, byte[] m) => Unsafe.ReadUnaligned<ushort>(ref At(m, a, o, 2));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static System.Runtime.Intrinsics.Vector128<byte> V128Load(int a, uint o, byte[] m) => Unsafe.ReadUnaligned<System.Runtime.Intrinsics.Vector128<byte>>(ref At(m, a, o, 16));

    /// <summary>
    /// Like <see cref="At"/>, and marks the page of the first written byte dirty, as compiled scalar
    /// stores do (a reset also copies Memory.StoreSpill bytes after each dirty run, which covers the
    /// rest of a store of up to 16 bytes). The flag write is safe unchecked: the access is inside
    /// mem, and dirty has one flag per page of mem.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte AtWrite(byte[] mem, byte[] dirty, int addr, uint offset, int size)
    {
        ulong ea = (ulong)(uint)addr + offset;
        if (ea + (ulong)size > (ulong)mem.Length) throw Throw.MemoryOutOfBounds();
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(dirty), (nint)(ea >> Memory.DirtyPageShift)) = 1;
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(mem), (nint)ea);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void I32Store(int a, int v, uint o, byte[] m, byte[] d) => Unsafe.WriteUnaligned(ref AtWrite(m, d, a, o, 4), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void I64Store(int a, long v, uint o, byte[] m, byte[] d) => Unsafe.WriteUnaligned(ref AtWrite(m, d, a, o, 8), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void I32Store8(int a, int v, uint o, byte[] m, byte[] d) => AtWrite(m, d, a, o, 1) = (byte)v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void I32Store16(int a, int v, uint o, byte[] m, byte[] d) => Unsafe.WriteUnaligned(ref AtWrite(m, d, a, o, 2), (short)v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void V128Store(int a, System.Runtime.Intrinsics.Vector128<byte> v, uint o, byte[] m, byte[] d) => Unsafe.WriteUnaligned(ref AtWrite(m, d, a, o, 16), v);

    public static int MemorySize(byte[] m) => m.Length / Memory.PageSize;

    public static int MemoryGrow(int delta, InstanceContext ctx) => ctx.Memory!.Grow((uint)delta);

    public static void MemoryFill(int dst, int value, int len, InstanceContext ctx)
    {
        var mem = ctx.Memory!.Buffer;
        ChargeBulk(ctx.Store, (uint)len);
        if ((ulong)(uint)dst + (uint)len > (ulong)mem.Length) throw Throw.MemoryOutOfBounds();
        ctx.Memory.MarkDirty((uint)dst, (uint)len);
        mem.AsSpan((int)(uint)dst, (int)(uint)len).Fill((byte)value);
    }

    public static void MemoryCopy(int dst, int src, int len, InstanceContext ctx)
    {
        var mem = ctx.Memory!.Buffer;
        ChargeBulk(ctx.Store, (uint)len);
        if ((ulong)(uint)dst + (uint)len > (ulong)mem.Length || (ulong)(uint)src + (uint)len > (ulong)mem.Length) throw Throw.MemoryOutOfBounds();
        ctx.Memory.MarkDirty((uint)dst, (uint)len);
        mem.AsSpan((int)(uint)src, (int)(uint)len).CopyTo(mem.AsSpan((int)(uint)dst, (int)(uint)len));
    }

    public static void MemoryInit(int dst, int src, int len, int segment, InstanceContext ctx)
    {
        var mem = ctx.Memory!.Buffer;
        var data = ctx.DataSegments[segment] ?? [];
        ChargeBulk(ctx.Store, (uint)len);
        if ((ulong)(uint)src + (uint)len > (ulong)data.Length || (ulong)(uint)dst + (uint)len > (ulong)mem.Length) throw Throw.MemoryOutOfBounds();
        ctx.Memory.MarkDirty((uint)dst, (uint)len);
        data.AsSpan((int)(uint)src, (int)(uint)len).CopyTo(mem.AsSpan((int)(uint)dst));
    }

    public static void DataDrop(int segment, InstanceContext ctx) => ctx.DataSegments[segment] = null;

    /// <summary>Bulk operations cost one unit of fuel per 8 bytes (rounded up) on top of the operator itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ChargeBulk(Store store, uint units)
    {
        store.FuelRemaining -= (units + 7) / 8;
        if (store.FuelRemaining < 0 && store.FuelEnabled) throw Throw.OutOfFuel();
    }
}

internal static class TableOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Func IndirectTarget(int index, object?[] elements, int typeId)
    {
        if ((uint)index >= (uint)elements.Length) throw Throw.TableOutOfBounds();
        var f = Unsafe.As<Func?>(elements[index]);
        if (f is null) throw Throw.Trap(TrapKind.UninitializedElement);
        if (f.TypeId != typeId) throw Throw.Trap(TrapKind.IndirectCallTypeMismatch);
        return f;
    }

    public static object? Get(int index, int table, InstanceContext ctx)
    {
        var e = ctx.Tables[table].Elements;
        if ((uint)index >= (uint)e.Length) throw Throw.TableOutOfBounds();
        return e[index];
    }

    public static void Set(int index, object? value, int table, InstanceContext ctx)
    {
        var e = ctx.Tables[table].Elements;
        if ((uint)index >= (uint)e.Length) throw Throw.TableOutOfBounds();
        e[index] = value;
    }

    public static int Size(int table, InstanceContext ctx) => ctx.Tables[table].Elements.Length;

    public static int Grow(object? init, int delta, int table, InstanceContext ctx)
    {
        ChargeTable(ctx.Store, (uint)delta);
        return ctx.Tables[table].Grow((uint)delta, init);
    }

    public static void Fill(int dst, object? value, int len, int table, InstanceContext ctx)
    {
        var e = ctx.Tables[table].Elements;
        ChargeTable(ctx.Store, (uint)len);
        if ((ulong)(uint)dst + (uint)len > (ulong)e.Length) throw Throw.TableOutOfBounds();
        e.AsSpan((int)(uint)dst, (int)(uint)len).Fill(value);
    }

    public static void Copy(int dst, int src, int len, int dstTable, int srcTable, InstanceContext ctx)
    {
        var d = ctx.Tables[dstTable].Elements;
        var s = ctx.Tables[srcTable].Elements;
        ChargeTable(ctx.Store, (uint)len);
        if ((ulong)(uint)dst + (uint)len > (ulong)d.Length || (ulong)(uint)src + (uint)len > (ulong)s.Length) throw Throw.TableOutOfBounds();
        s.AsSpan((int)(uint)src, (int)(uint)len).CopyTo(d.AsSpan((int)(uint)dst, (int)(uint)len));
    }

    public static void Init(int dst, int src, int len, int segment, int table, InstanceContext ctx)
    {
        var d = ctx.Tables[table].Elements;
        var s = ctx.ElemSegments[segment] ?? [];
        ChargeTable(ctx.Store, (uint)len);
        if ((ulong)(uint)src + (uint)len > (ulong)s.Length || (ulong)(uint)dst + (uint)len > (ulong)d.Length) throw Throw.TableOutOfBounds();
        s.AsSpan((int)(uint)src, (int)(uint)len).CopyTo(d.AsSpan((int)(uint)dst, (int)(uint)len));
    }

    public static void ElemDrop(int segment, InstanceContext ctx) => ctx.ElemSegments[segment] = null;

    /// <summary>Table bulk operations cost one unit of fuel per element.</summary>
    private static void ChargeTable(Store store, uint units)
    {
        store.FuelRemaining -= units;
        if (store.FuelRemaining < 0 && store.FuelEnabled) throw Throw.OutOfFuel();
    }
}

/// <summary>Numeric operators whose Wasm semantics differ from a single IL instruction.</summary>
internal static class NumericOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32DivS(int a, int b)
    {
        if (b == 0) throw Throw.DivideByZero();
        if (b == -1 && a == int.MinValue) throw Throw.Overflow();
        return a / b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32DivU(int a, int b)
    {
        if (b == 0) throw Throw.DivideByZero();
        return (int)((uint)a / (uint)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32RemS(int a, int b)
    {
        if (b == 0) throw Throw.DivideByZero();
        return b == -1 ? 0 : a % b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int I32RemU(int a, int b)
    {
        if (b == 0) throw Throw.DivideByZero();
        return (int)((uint)a % (uint)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64DivS(long a, long b)
    {
        if (b == 0) throw Throw.DivideByZero();
        if (b == -1 && a == long.MinValue) throw Throw.Overflow();
        return a / b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64DivU(long a, long b)
    {
        if (b == 0) throw Throw.DivideByZero();
        return (long)((ulong)a / (ulong)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64RemS(long a, long b)
    {
        if (b == 0) throw Throw.DivideByZero();
        return b == -1 ? 0 : a % b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long I64RemU(long a, long b)
    {
        if (b == 0) throw Throw.DivideByZero();
        return (long)((ulong)a % (ulong)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Clz(int a) => BitOperations.LeadingZeroCount((uint)a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Ctz(int a) => BitOperations.TrailingZeroCount(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Popcnt(int a) => BitOperations.PopCount((uint)a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Rotl(int a, int b) => (int)BitOperations.RotateLeft((uint)a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static int I32Rotr(int a, int b) => (int)BitOperations.RotateRight((uint)a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long I64Clz(long a) => BitOperations.LeadingZeroCount((ulong)a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long I64Ctz(long a) => BitOperations.TrailingZeroCount(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long I64Popcnt(long a) => BitOperations.PopCount((ulong)a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long I64Rotl(long a, long b) => (long)BitOperations.RotateLeft((ulong)a, (int)b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static long I64Rotr(long a, long b) => (long)BitOperations.RotateRight((ulong)a, (int)b);

    // min/max: any NaN operand gives a quiet NaN (a + b quiets a signalling one); -0 < +0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32Min(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32Max(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64Min(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? a + b : Math.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64Max(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? a + b : Math.Max(a, b);

    // Rounding: NaN inputs come back quiet (x + x) as the spec's arithmetic NaN requires.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Ceil(float a) => float.IsNaN(a) ? a + a : MathF.Ceiling(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Floor(float a) => float.IsNaN(a) ? a + a : MathF.Floor(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Trunc(float a) => float.IsNaN(a) ? a + a : MathF.Truncate(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Nearest(float a) => float.IsNaN(a) ? a + a : MathF.Round(a, MidpointRounding.ToEven);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Sqrt(float a) => MathF.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Ceil(double a) => double.IsNaN(a) ? a + a : Math.Ceiling(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Floor(double a) => double.IsNaN(a) ? a + a : Math.Floor(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Trunc(double a) => double.IsNaN(a) ? a + a : Math.Truncate(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Nearest(double a) => double.IsNaN(a) ? a + a : Math.Round(a, MidpointRounding.ToEven);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Sqrt(double a) => Math.Sqrt(a);

    // Sign operations are pure bit operations: NaN payloads are preserved.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Abs(float a) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) & 0x7FFFFFFF);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F32Neg(float a) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) ^ int.MinValue);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F32Copysign(float a, float b) => BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(a) & 0x7FFFFFFF) | (BitConverter.SingleToInt32Bits(b) & int.MinValue));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Abs(double a) => BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(a) & long.MaxValue);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double F64Neg(double a) => BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(a) ^ long.MinValue);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double F64Copysign(double a, double b) => BitConverter.Int64BitsToDouble((BitConverter.DoubleToInt64Bits(a) & long.MaxValue) | (BitConverter.DoubleToInt64Bits(b) & long.MinValue));

    // Trapping float -> int truncation. The bounds are the exact open intervals of valid inputs.
    public static int I32TruncF32S(float a) { if (float.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 2147483648f || a < -2147483648f) throw Throw.Overflow(); return (int)a; }
    public static int I32TruncF32U(float a) { if (float.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 4294967296f || a <= -1f) throw Throw.Overflow(); return (int)(uint)a; }
    public static int I32TruncF64S(double a) { if (double.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 2147483648.0 || a <= -2147483649.0) throw Throw.Overflow(); return (int)a; }
    public static int I32TruncF64U(double a) { if (double.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 4294967296.0 || a <= -1.0) throw Throw.Overflow(); return (int)(uint)a; }
    public static long I64TruncF32S(float a) { if (float.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 9223372036854775808f || a < -9223372036854775808f) throw Throw.Overflow(); return (long)a; }
    public static long I64TruncF32U(float a) { if (float.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 18446744073709551616f || a <= -1f) throw Throw.Overflow(); return (long)(ulong)a; }
    public static long I64TruncF64S(double a) { if (double.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 9223372036854775808.0 || a < -9223372036854775808.0) throw Throw.Overflow(); return (long)a; }
    public static long I64TruncF64U(double a) { if (double.IsNaN(a)) throw Throw.InvalidConversion(); if (a >= 18446744073709551616.0 || a <= -1.0) throw Throw.Overflow(); return (long)(ulong)a; }

    // Saturating truncation: NaN -> 0, out of range -> the nearest bound.
    public static int I32TruncSatF32S(float a) => float.IsNaN(a) ? 0 : a >= 2147483648f ? int.MaxValue : a < -2147483648f ? int.MinValue : (int)a;
    public static int I32TruncSatF32U(float a) => float.IsNaN(a) || a <= -1f ? 0 : a >= 4294967296f ? -1 : (int)(uint)a;
    public static int I32TruncSatF64S(double a) => double.IsNaN(a) ? 0 : a >= 2147483648.0 ? int.MaxValue : a <= -2147483649.0 ? int.MinValue : (int)a;
    public static int I32TruncSatF64U(double a) => double.IsNaN(a) || a <= -1.0 ? 0 : a >= 4294967296.0 ? -1 : (int)(uint)a;
    public static long I64TruncSatF32S(float a) => float.IsNaN(a) ? 0 : a >= 9223372036854775808f ? long.MaxValue : a < -9223372036854775808f ? long.MinValue : (long)a;
    public static long I64TruncSatF32U(float a) => float.IsNaN(a) || a <= -1f ? 0 : a >= 18446744073709551616f ? -1L : (long)(ulong)a;
    public static long I64TruncSatF64S(double a) => double.IsNaN(a) ? 0 : a >= 9223372036854775808.0 ? long.MaxValue : a < -9223372036854775808.0 ? long.MinValue : (long)a;
    public static long I64TruncSatF64U(double a) => double.IsNaN(a) || a <= -1.0 ? 0 : a >= 18446744073709551616.0 ? -1L : (long)(ulong)a;

    // Integer -> float conversions, each rounded once (round to nearest, ties to even).
    public static float F32ConvertI32U(int a) => (float)(uint)a;
    public static float F32ConvertI64S(long a) => (float)a;
    public static float F32ConvertI64U(long a)
    {
        ulong u = (ulong)a;
        if ((long)u >= 0) return (float)(long)u;
        // Halve with a sticky bit so the single rounding of the signed conversion is exact.
        ulong half = (u >> 1) | (u & 1);
        float f = (float)(long)half;
        return f + f;
    }
    public static double F64ConvertI32U(int a) => (uint)a;
    public static double F64ConvertI64U(long a)
    {
        ulong u = (ulong)a;
        if ((long)u >= 0) return (double)(long)u;
        ulong half = (u >> 1) | (u & 1);
        double d = (double)(long)half;
        return d + d;
    }

    // The JIT folds (float)(double)x to x; a NaN result must still come out quiet, so set the bit.
    public static float F32DemoteF64(double a)
    {
        float r = (float)a;
        return float.IsNaN(r) ? BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(r) | 0x00400000) : r;
    }

    public static double F64PromoteF32(float a)
    {
        double r = a;
        return double.IsNaN(r) ? BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(r) | 0x0008000000000000) : r;
    }
}

/// <summary>
/// Float constants the JIT must not fold: x*1 and x+(-0) are identities for the JIT but not for
/// Wasm when x is a signalling NaN (the spec wants a quiet NaN out).
/// </summary>
internal static class OpaqueConstants
{
    public static float F32One = 1f, F32MinusOne = -1f, F32Zero = 0f, F32MinusZero = -0f;
    public static double F64One = 1d, F64MinusOne = -1d, F64Zero = 0d, F64MinusZero = -0d;

    // NaN constants: the JIT folds through double arithmetic, which would quiet signalling NaNs.
    [MethodImpl(MethodImplOptions.NoInlining)] public static float F32FromBits(int bits) => BitConverter.Int32BitsToSingle(bits);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double F64FromBits(long bits) => BitConverter.Int64BitsToDouble(bits);
}
