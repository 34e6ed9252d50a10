import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulatedComponents } from '../device/hardware.js';
import { isMachineId, machinesMatch } from './machine-id.js';

const machine = simulatedComponents('m');
const other = simulatedComponents('other');

describe('machine matching (the RI MachineId.matches)', () => {
  it('matches itself', () => assert.equal(machinesMatch(machine, machine), true));

  it('does not match a different machine', () => assert.equal(machinesMatch(machine, other), false));

  it('needs ⌈2/3 × min(|a|,|b|)⌉ shared digests', () => {
    // 6 components: 4 shared are enough, 3 are not.
    const fourShared = [...machine.slice(0, 4), ...other.slice(0, 2)];
    const threeShared = [...machine.slice(0, 3), ...other.slice(0, 3)];
    assert.equal(machinesMatch(machine, fourShared), true);
    assert.equal(machinesMatch(machine, threeShared), false);
  });

  it('replacing one disk of four still matches', () => {
    const four = machine.slice(0, 4);
    assert.equal(machinesMatch(four, [...four.slice(0, 3), other[0] as string]), true);
  });

  it('compares against the shorter list', () => {
    // min = 3 → 2 shared needed.
    assert.equal(machinesMatch(machine, [machine[0] as string, machine[1] as string, other[0] as string]), true);
    assert.equal(machinesMatch(machine, [machine[0] as string, other[1] as string, other[0] as string]), false);
  });

  it('counts duplicated digests once', () => {
    const m0 = machine[0] as string;
    assert.equal(machinesMatch([m0, m0, m0], machine), false);
  });
});

describe('machine ID shape', () => {
  it('takes 3 to 16 base64url SHA-256 digests', () => {
    assert.equal(isMachineId(machine.slice(0, 3)), true);
    assert.equal(isMachineId(machine.slice(0, 2)), false);
    assert.equal(isMachineId(Array.from({ length: 17 }, () => machine[0])), false);
    assert.equal(isMachineId([...machine.slice(0, 2), 'not a digest']), false);
    assert.equal(isMachineId('abc'), false);
  });
});
