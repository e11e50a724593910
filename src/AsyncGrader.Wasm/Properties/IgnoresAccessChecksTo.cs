namespace System.Runtime.CompilerServices;

/// <summary>
/// Honoured by the CoreCLR: lets the engine's generated assemblies (dynamic, and ahead-of-time images) use its internal
/// types (instance contexts, helpers) without making them public.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
{
    public string AssemblyName { get; } = assemblyName;
}
