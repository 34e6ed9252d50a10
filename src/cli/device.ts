/** `domus device …`: the bundled device client, keeping its state in a local directory. */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DeviceClient } from '../device/device-client.js';
import type { DomainLicense } from '../device/device-store.js';
import { simulatedComponents } from '../device/hardware.js';

const USAGE = `usage: domus device <action> [options]

  individualize --server <root URL> [--simulated-hardware <name>]
  join <domain server URL> [--auth-token <token>] [--label <label>]
                 join (or re-join) the domain; --label is what this device calls itself,
                 shown to its household (1 to 64 characters)
  leave <domain server URL> [--auth-token <token>]
  members <domain server URL> [--auth-token <token>]
                 every member of the domain: guid, label, firstSeen, lastSeen, self
  remove <domain server URL> <guid> [--auth-token <token>]
                 remove another member's device (preview, then commit), within the domain's
                 removal limit
  status
  store-license <license.json>

options for every action:
  --dir <path>   the device's state directory (default: DOMUS_DEVICE_DIR or ./.device)

Answered DOM_NOT_MEMBER (this device was removed or evicted), the device deletes that domain's
credentials and every license bound to it, and says so.
`;

export async function deviceCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: process.env.DOMUS_DEVICE_DIR ?? '.device' },
      server: { type: 'string' },
      'simulated-hardware': { type: 'string' },
      'auth-token': { type: 'string' },
      label: { type: 'string' },
    },
  });
  const [action, target, member] = positionals;
  const seed = values['simulated-hardware'];
  const client = new DeviceClient(values.dir, seed ? { components: simulatedComponents(seed) } : {});
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

  switch (action) {
    case 'individualize':
      if (!values.server) break;
      print(await client.individualize(values.server));
      return 0;
    case 'join': {
      if (!target) break;
      const joined = await client.join(target, values['auth-token'], { label: values.label });
      print({
        domain: joined.name,
        mode: joined.mode,
        serverUrl: joined.serverUrl,
        keyVersions: joined.credentials.map((c) => c.keyVersion),
      });
      return 0;
    }
    case 'leave':
      if (!target) break;
      print(await client.leave(target, values['auth-token']));
      return 0;
    case 'members':
      if (!target) break;
      print(await client.members(target, values['auth-token']));
      return 0;
    case 'remove':
      if (!target || !member) break;
      print(await client.remove(target, member, values['auth-token']));
      return 0;
    case 'status':
      print(client.status());
      return 0;
    case 'store-license':
      if (!target) break;
      client.storeLicense(JSON.parse(fs.readFileSync(target, 'utf8')) as DomainLicense);
      print({ stored: true });
      return 0;
  }
  process.stderr.write(USAGE);
  return 2;
}
