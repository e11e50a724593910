using AsyncGrader.Wasm.Binary;

namespace AsyncGrader.Wasm.Compilation;

/// <summary>Skips an instruction's immediates (used for dead code, which is never compiled, and pre-scans).</summary>
internal static class InstructionSkipper
{
    /// <summary>Whether a (validated) body reads the memory buffer directly: loads, stores, memory.size.</summary>
    public static bool AccessesMemoryBuffer(byte[] bytes, int start, int end)
    {
        var r = new WasmReader(bytes, start, end);
        while (!r.AtEnd)
        {
            var op = r.ReadOpcode();
            switch (op)
            {
                case (>= Opcode.I32Load and <= Opcode.I64Store32) or Opcode.MemorySize
                    or (>= Opcode.V128Load and <= Opcode.V128Store) or (>= Opcode.V128Load8Lane and <= Opcode.V128Load64Zero):
                    return true;
                case Opcode.Block or Opcode.Loop or Opcode.If:
                    r.ReadVarS33();
                    break;
                default:
                    SkipImmediates(op, r);
                    break;
            }
        }
        return false;
    }

    public static void SkipImmediates(Opcode op, WasmReader r)
    {
        switch (op)
        {
            case Opcode.Br or Opcode.BrIf or Opcode.Call or Opcode.LocalGet or Opcode.LocalSet or Opcode.LocalTee
                or Opcode.GlobalGet or Opcode.GlobalSet or Opcode.TableGet or Opcode.TableSet or Opcode.RefFunc:
                r.ReadVarU32();
                return;
            case Opcode.BrTable:
            {
                uint n = r.ReadVarU32();
                for (uint i = 0; i <= n; i++) r.ReadVarU32();
                return;
            }
            case Opcode.CallIndirect:
                r.ReadVarU32();
                r.ReadVarU32();
                return;
            case Opcode.SelectTyped:
            {
                uint n = r.ReadVarU32();
                for (uint i = 0; i < n; i++) r.ReadValueType();
                return;
            }
            case >= Opcode.I32Load and <= Opcode.I64Store32:
                r.ReadMemArg();
                return;
            case Opcode.MemorySize or Opcode.MemoryGrow or Opcode.RefNull:
                r.ReadByte();
                return;
            case Opcode.I32Const: r.ReadVarS32(); return;
            case Opcode.I64Const: r.ReadVarS64(); return;
            case Opcode.F32Const: r.ReadBytes(4); return;
            case Opcode.F64Const: r.ReadBytes(8); return;
            case Opcode.MemoryInit: r.ReadVarU32(); r.ReadByte(); return;
            case Opcode.DataDrop or Opcode.ElemDrop or Opcode.TableGrow or Opcode.TableSize or Opcode.TableFill: r.ReadVarU32(); return;
            case Opcode.MemoryCopy: r.ReadByte(); r.ReadByte(); return;
            case Opcode.MemoryFill: r.ReadByte(); return;
            case Opcode.TableInit or Opcode.TableCopy: r.ReadVarU32(); r.ReadVarU32(); return;
            case >= Opcode.V128Load and <= Opcode.V128Store: r.ReadMemArg(); return;
            case Opcode.V128Const or Opcode.I8x16Shuffle: r.ReadBytes(16); return;
            case >= Opcode.I8x16ExtractLaneS and <= Opcode.F64x2ReplaceLane: r.ReadByte(); return;
            case >= Opcode.V128Load8Lane and <= Opcode.V128Store64Lane: r.ReadMemArg(); r.ReadByte(); return;
            case Opcode.V128Load32Zero or Opcode.V128Load64Zero: r.ReadMemArg(); return;
        }
    }
}
