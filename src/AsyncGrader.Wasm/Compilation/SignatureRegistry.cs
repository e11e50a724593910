using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using AsyncGrader.Wasm.Runtime;

namespace AsyncGrader.Wasm.Compilation;

/// <summary>
/// Calls compiled code at <paramref name="code"/> with boxed arguments (host → guest). In an
/// engine that meters fuel, <paramref name="fuel"/> is passed in (what is left ends up in the
/// callee's store, as after any call).
/// </summary>
internal delegate void InvokeTrampoline(IntPtr code, object target, Value[] args, Value[] results, long fuel);

/// <summary>
/// Engine-wide registry of function signatures: gives each distinct <see cref="FuncType"/> a
/// canonical id (compared by call_indirect across modules) and generates, once per signature,
/// the two trampolines that cross the host boundary.
/// </summary>
internal sealed class SignatureRegistry(bool fuel)
{
    private readonly ConcurrentDictionary<FuncType, Signature> _byType = new();
    private readonly object _emitLock = new();
    private ModuleBuilder? _module;
    private int _next;

    internal sealed class Signature
    {
        public required int Id;
        public required FuncType Type;
        public InvokeTrampoline? Invoke;
        public IntPtr HostStub;
    }

    public int IdOf(FuncType type) => Get(type).Id;

    public Signature Get(FuncType type) =>
        _byType.GetOrAdd(type, t => new Signature { Id = Interlocked.Increment(ref _next), Type = t });

    public InvokeTrampoline InvokerFor(FuncType type)
    {
        var sig = Get(type);
        if (sig.Invoke is null) EmitTrampolines(sig);
        return sig.Invoke!;
    }

    public IntPtr HostStubFor(FuncType type)
    {
        var sig = Get(type);
        if (sig.HostStub == IntPtr.Zero) EmitTrampolines(sig);
        return sig.HostStub;
    }

    private void EmitTrampolines(Signature sig)
    {
        lock (_emitLock)
        {
            if (sig.Invoke is not null) return;
            _module ??= DynamicAssemblies.Create("AsyncGrader.Wasm.Trampolines").DefineDynamicModule("Trampolines");
            var tb = _module.DefineType($"Sig{sig.Id}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract | TypeAttributes.Class);
            var type = sig.Type;
            var calliParams = ClrTypes.Parameters(type, typeof(object), fuel);
            var ret = ClrTypes.ReturnType(type);

            // static void Invoke(IntPtr code, object target, Value[] args, Value[] results, long fuel)
            var inv = tb.DefineMethod("Invoke", MethodAttributes.Public | MethodAttributes.Static, typeof(void),
                [typeof(IntPtr), typeof(object), typeof(Value[]), typeof(Value[]), typeof(long)]);
            var il = inv.GetILGenerator();
            var extras = new LocalBuilder[type.Results.Length];
            for (int i = 1; i < type.Results.Length; i++) extras[i] = il.DeclareLocal(ClrTypes.Of(type.Results[i]));
            for (int i = 0; i < type.Params.Length; i++)
            {
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldelema, typeof(Value));
                ClrTypes.EmitUnbox(il, type.Params[i]);
            }
            for (int i = 1; i < type.Results.Length; i++) il.Emit(OpCodes.Ldloca, extras[i]);
            if (fuel) il.Emit(OpCodes.Ldarg, 4);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldarg_0);
            il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, ret, calliParams, null);
            if (type.Results.Length > 0)
            {
                var r0 = il.DeclareLocal(ret);
                il.Emit(OpCodes.Stloc, r0);
                for (int i = 0; i < type.Results.Length; i++)
                {
                    il.Emit(OpCodes.Ldarg_3);
                    il.Emit(OpCodes.Ldc_I4, i);
                    il.Emit(OpCodes.Ldloc, i == 0 ? r0 : extras[i]);
                    ClrTypes.EmitBox(il, type.Results[i]);
                    il.Emit(OpCodes.Stelem, typeof(Value));
                }
            }
            il.Emit(OpCodes.Ret);

            // static R HostStub(P..., ref R1.., [long fuel,] object binding): boxes arguments, calls HostBinding.Call.
            var stub = tb.DefineMethod("HostStub", MethodAttributes.Public | MethodAttributes.Static, ret, calliParams);
            il = stub.GetILGenerator();
            var args = il.DeclareLocal(typeof(Value[]));
            var results = il.DeclareLocal(typeof(Value[]));
            il.Emit(OpCodes.Ldc_I4, type.Params.Length);
            il.Emit(OpCodes.Newarr, typeof(Value));
            il.Emit(OpCodes.Stloc, args);
            for (int i = 0; i < type.Params.Length; i++)
            {
                il.Emit(OpCodes.Ldloc, args);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldarg, i);
                ClrTypes.EmitBox(il, type.Params[i]);
                il.Emit(OpCodes.Stelem, typeof(Value));
            }
            il.Emit(OpCodes.Ldc_I4, type.Results.Length);
            il.Emit(OpCodes.Newarr, typeof(Value));
            il.Emit(OpCodes.Stloc, results);
            il.Emit(OpCodes.Ldarg, calliParams.Length - 1);
            il.Emit(OpCodes.Ldloc, args);
            il.Emit(OpCodes.Ldloc, results);
            if (fuel)
            {
                // The guest's fuel goes to the store for the host's call; the caller reads it back from there.
                il.Emit(OpCodes.Ldarg, calliParams.Length - 2);
                il.Emit(OpCodes.Call, typeof(HostBinding).GetMethod(nameof(HostBinding.CallWithFuel), BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!);
            }
            else
                il.Emit(OpCodes.Call, typeof(HostBinding).GetMethod(nameof(HostBinding.Call), BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!);
            for (int i = 1; i < type.Results.Length; i++)
            {
                il.Emit(OpCodes.Ldarg, type.Params.Length + i - 1);
                il.Emit(OpCodes.Ldloc, results);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldelema, typeof(Value));
                ClrTypes.EmitUnbox(il, type.Results[i]);
                ClrTypes.EmitStoreIndirect(il, type.Results[i]);
            }
            if (type.Results.Length > 0)
            {
                il.Emit(OpCodes.Ldloc, results);
                il.Emit(OpCodes.Ldc_I4_0);
                il.Emit(OpCodes.Ldelema, typeof(Value));
                ClrTypes.EmitUnbox(il, type.Results[0]);
            }
            il.Emit(OpCodes.Ret);

            var baked = tb.CreateType();
            sig.HostStub = baked.GetMethod("HostStub")!.MethodHandle.GetFunctionPointer();
            sig.Invoke = baked.GetMethod("Invoke")!.CreateDelegate<InvokeTrampoline>();
        }
    }
}

/// <summary>Creates dynamic assemblies that may use this engine's internal types.</summary>
internal static class DynamicAssemblies
{
    public static AssemblyBuilder Create(string name)
    {
        var asm = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName(name), AssemblyBuilderAccess.Run);
        GrantAccess(asm);
        return asm;
    }

    public static void GrantAccess(AssemblyBuilder asm) =>
        asm.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(IgnoresAccessChecksToAttribute).GetConstructor([typeof(string)])!,
            [typeof(DynamicAssemblies).Assembly.GetName().Name!]));
}
