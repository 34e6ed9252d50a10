import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PASS_ERRORS } from '../errors.js';
import { DOMUS_ERRORS, domusError, validationError } from './enhanced-errors.js';

const failure = (validation: object[]) => ({ validation, message: 'params/serviceProvider must match pattern' });

describe('enhanced errors', () => {
  it('maps a failed parameter or header to its Adobe code', () => {
    const cases: [object, string][] = [
      [{ instancePath: '/serviceProvider' }, 'invalid_parameter_service_provider'],
      [{ instancePath: '/mvpd' }, 'invalid_parameter_mvpd'],
      [{ instancePath: '', params: { missingProperty: 'mvpd' } }, 'invalid_parameter_mvpd'],
      [{ instancePath: '/code' }, 'invalid_parameter_code'],
      [{ instancePath: '/resources/2' }, 'invalid_parameter_resources'],
      [{ instancePath: '', params: { missingProperty: 'redirectUrl' } }, 'invalid_parameter_redirect_url'],
      [{ instancePath: '/partner' }, 'invalid_parameter_partner'],
      [{ instancePath: '/SAMLResponse' }, 'invalid_parameter_saml_response'],
      [{ instancePath: '/x-device-info' }, 'invalid_header_device_info'],
      [{ instancePath: '', params: { missingProperty: 'ap-device-identifier' } }, 'invalid_header_device_identifier'],
      [{ instancePath: '/ap-temppass-identity' }, 'invalid_header_identity_for_temporary_access'],
    ];
    for (const [error, code] of cases) {
      const body = validationError(failure([error]), 'trace-1');
      assert.equal(body.code, code, JSON.stringify(error));
      assert.equal(body.status, 400);
      assert.equal(body.action, 'none');
      assert.equal(body.trace, 'trace-1');
    }
  });

  it('falls back to Domus’s invalid_request for fields Adobe names no code for', () => {
    const body = validationError(failure([{ instancePath: '/domainName' }]), 't');
    assert.deepEqual(body, {
      action: 'none',
      status: 400,
      code: 'invalid_request',
      message: DOMUS_ERRORS.invalid_request[2],
      details: 'params/serviceProvider must match pattern',
      trace: 't',
    });
  });

  it('adds only codes Adobe’s table lacks, with statuses Adobe’s codes do not use', () => {
    for (const code of Object.keys(DOMUS_ERRORS)) assert.equal(code in PASS_ERRORS, false, code);
    assert.deepEqual(domusError('too_many_requests', 't').action, 'retry');
    assert.equal(domusError('method_not_allowed', 't').status, 405);
  });
});
