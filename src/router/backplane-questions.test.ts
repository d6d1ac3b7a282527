import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxQuestionsInFlight, PendingQuestions, TooManyQuestions } from './backplane-questions.js';

describe('PendingQuestions', () => {
  it('resolves once every node asked has answered or left, naming those that failed', async () => {
    const questions = new PendingQuestions();
    const { id, answers } = questions.open(['a', 'b', 'c', 'd']);
    questions.answered(id, 'a', 1);
    questions.answered(id, 'a', 99); // a second answer from the same node counts for nothing
    questions.answered(id, 'x', 5); // nor one from a node not asked
    questions.answered(id, 'b', null, true);
    questions.nodeGone('c');
    questions.answered(id, 'd', 4);
    assert.deepEqual(await answers, { answers: [{ node: 'a', answer: 1 }, { node: 'd', answer: 4 }], missing: ['b'] });
  });

  it('resolves with the silent nodes once its time is up, and at once when no node is asked', async () => {
    const questions = new PendingQuestions(20);
    const { id, answers } = questions.open(['a', 'b']);
    questions.answered(id, 'a', 'yes');
    // Its timer does not hold the process open (a router that stops need not wait): this test does.
    const holdOpen = setTimeout(() => {}, 5_000);
    assert.deepEqual(await answers, { answers: [{ node: 'a', answer: 'yes' }], missing: ['b'] });
    clearTimeout(holdOpen);
    assert.deepEqual(await questions.open([]).answers, { answers: [], missing: [] });
  });

  it('refuses a question over the bound rather than queueing it; closing ends every question', async () => {
    const questions = new PendingQuestions();
    const open = Array.from({ length: maxQuestionsInFlight }, () => questions.open(['a']));
    assert.throws(() => questions.open(['a']), TooManyQuestions);
    questions.closeAll();
    const ended = await Promise.all(open.map(({ answers }) => answers));
    assert.ok(ended.every(({ missing }) => missing.length === 1));
    assert.doesNotThrow(() => questions.open([]), 'room again once they ended');
  });
});
