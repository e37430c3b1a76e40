// Prints one closing line "tests: N passed, N failed, N skipped" that CI recognises.
export default async function* summary(source) {
  let pass = 0, fail = 0, skip = 0;
  for await (const ev of source) {
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    if (ev.data.details?.type === 'suite') continue;
    if (ev.data.skip || ev.data.todo) skip++;
    else if (ev.type === 'test:pass') pass++;
    else fail++;
  }
  yield `tests: ${pass} passed, ${fail} failed, ${skip} skipped\n`;
}
