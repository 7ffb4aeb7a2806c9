import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { DELIVERY_ID_NAMESPACE, deliveryIdFor } from './delivery-id.generator';

describe('deliveryIdFor', () => {
  const sut = deliveryIdFor;

  it('uses the documented namespace', () => {
    assert.equal(
      DELIVERY_ID_NAMESPACE,
      uuidv5('https://lead-router.dev/ns/delivery-id', uuidv5.URL),
    );
  });

  it('is stable for a lead and destination, and differs per destination', () => {
    const id = sut('lead-1', 'demo-inbox');
    assert.match(id, /^msg_[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(sut('lead-1', 'demo-inbox'), id);
    assert.notEqual(sut('lead-1', 'crm'), id);
    assert.notEqual(sut('lead-2', 'demo-inbox'), id);
  });
});

describe('deliveryIdFor, against the uuid package', () => {
  it('is the UUIDv5 of `lead NUL destination` in the namespace, for any ids', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (leadId, destinationId) => {
        assert.equal(
          deliveryIdFor(leadId, destinationId),
          `msg_${uuidv5(`${leadId}\u0000${destinationId}`, DELIVERY_ID_NAMESPACE)}`,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('is the same UUIDv5 for a name longer than its scratch buffer, and for lone surrogates', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1000, maxLength: 3000 }),
        fc.string({ unit: 'binary' }),
        (leadId, destinationId) => {
          assert.equal(
            deliveryIdFor(leadId, destinationId),
            `msg_${uuidv5(`${leadId}\u0000${destinationId}`, DELIVERY_ID_NAMESPACE)}`,
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
