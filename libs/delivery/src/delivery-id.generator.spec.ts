import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
