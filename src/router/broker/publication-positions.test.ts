import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_POSITION_SOURCES, PublicationPositions } from './publication-positions.js';

describe('publication positions', () => {
  it('number this broker\'s publications from 1 under a source name of its own', () => {
    const positions = new PublicationPositions();
    assert.match(positions.source, /^[A-Za-z0-9_-]{8}$/);
    assert.notEqual(new PublicationPositions().source, positions.source);
    assert.deepEqual([positions.next(), positions.next()], [{ source: positions.source, seq: 1 }, { source: positions.source, seq: 2 }]);
    assert.deepEqual([...positions.all], [[positions.source, 2]]);
  });

  it('keep the highest position heard of each source', () => {
    const positions = new PublicationPositions();
    positions.heard({ source: 'AAAAAAAA', seq: 5 });
    positions.heard({ source: 'AAAAAAAA', seq: 3 });
    assert.equal(positions.all.get('AAAAAAAA'), 5);
    positions.heard({ source: 'AAAAAAAA', seq: 6 });
    assert.equal(positions.all.get('AAAAAAAA'), 6);
  });

  it('forget the source heard from least recently past MAX_POSITION_SOURCES', () => {
    const positions = new PublicationPositions();
    for (let i = 0; i <= MAX_POSITION_SOURCES; i++) positions.heard({ source: `s${String(i).padStart(7, '0')}`, seq: 1 });
    positions.heard({ source: 's0000001', seq: 2 });
    positions.heard({ source: 'newest00', seq: 1 });
    assert.equal(positions.all.size, MAX_POSITION_SOURCES);
    assert.equal(positions.all.has('s0000000'), false);
    assert.equal(positions.all.has('s0000002'), false);
    assert.equal(positions.all.get('s0000001'), 2);
  });
});
