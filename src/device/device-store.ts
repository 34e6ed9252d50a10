/**
 * The device's local state, one directory: machine key (owner-only), machine token, the Domain
 * CA it trusts, domain credentials per domain server URL, and domain-bound licenses.
 * Every file is replaced atomically (write, then rename).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';

export interface MachineState {
  guid: string;
  machineToken: string;
  components: string[];
  rootUrl: string;
  individualizedAt: string;
}

export interface StoredCredential {
  keyVersion: number;
  certificate: string;
  privateKey: string;
  notAfter: string;
}

export interface DomainMembership {
  name: string;
  mode: 'anonymous' | 'identity';
  serverUrl: string;
  credentials: StoredCredential[];
  joinedAt: string;
}

/** A license bound to a domain: its content key is encrypted to one domain key version. */
export interface DomainLicense {
  id: string;
  domainServerUrl: string;
  domainName: string;
  keyVersion: number;
  [field: string]: unknown;
}

export class DeviceStore {
  constructor(readonly dir: string) {}

  readMachineKey(): JWK | undefined {
    return this.#read<JWK>('machine-key.json');
  }
  writeMachineKey(privateJwk: JWK): void {
    this.#write('machine-key.json', privateJwk, 0o600);
  }

  readMachine(): MachineState | undefined {
    return this.#read<MachineState>('machine.json');
  }
  writeMachine(state: MachineState): void {
    this.#write('machine.json', state);
  }

  readDomainCa(): string | undefined {
    const file = path.join(this.dir, 'domain-ca.pem');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  }
  writeDomainCa(pem: string): void {
    this.#writeText('domain-ca.pem', pem);
  }

  domains(): Record<string, DomainMembership> {
    return this.#read<Record<string, DomainMembership>>('domains.json') ?? {};
  }
  domain(serverUrl: string): DomainMembership | undefined {
    return this.domains()[serverUrl];
  }
  putDomain(membership: DomainMembership): void {
    this.#write('domains.json', { ...this.domains(), [membership.serverUrl]: membership });
  }
  deleteDomain(serverUrl: string): void {
    const { [serverUrl]: _gone, ...rest } = this.domains();
    this.#write('domains.json', rest);
  }

  licenses(): DomainLicense[] {
    const dir = path.join(this.dir, 'licenses');
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as DomainLicense);
  }
  putLicense(license: DomainLicense): void {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(license.id))
      throw new Error('license id must be 1 to 128 letters, digits, ".", "_" or "-"');
    this.#write(path.join('licenses', `${license.id}.json`), license);
  }
  /** Deletes every license bound to the domain of `serverUrl`; returns how many. */
  deleteLicensesOf(serverUrl: string): number {
    let deleted = 0;
    for (const license of this.licenses()) {
      if (license.domainServerUrl !== serverUrl) continue;
      fs.rmSync(path.join(this.dir, 'licenses', `${license.id}.json`));
      deleted++;
    }
    return deleted;
  }

  #read<T>(name: string): T | undefined {
    const file = path.join(this.dir, name);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
  }

  #write(name: string, value: unknown, mode = 0o644): void {
    this.#writeText(name, `${JSON.stringify(value, null, 2)}\n`, mode);
  }

  #writeText(name: string, text: string, mode = 0o644): void {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    fs.writeFileSync(temporary, text, { mode });
    fs.renameSync(temporary, file);
  }
}
