import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, htmlPage, htmlTable, plural } from './html.js';

test('htmlPage: one layout with navigation back to the query page and the status index', () => {
  const page = htmlPage('Ring <x>', '<p>body</p>');
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<title>Ring &lt;x&gt; · Myelin<\/title>/);
  assert.match(page, /<h1>Ring &lt;x&gt;<\/h1>\n<p>body<\/p>/);
  assert.match(page, /<a class="brand" href="\/">Myelin<\/a><nav><a href="\/">Query<\/a><a href="\/status">Status<\/a>/);
  assert.ok(!page.includes('auto-refresh'), 'no refresh unless asked for');
});

test('htmlPage: auto-refresh is a box, ticked unless the person unticked it, reloading at the period', () => {
  const page = htmlPage('Services', '', { refreshSeconds: 5 });
  assert.match(page, /<input type="checkbox" id="auto-refresh"> Auto-refresh \(5s\)/);
  assert.match(page, /setInterval\(\(\) => \{ if \(box\.checked\) location\.reload\(\); \}, 5000\)/);
});

test('htmlTable: escaped headings, HTML cells, row classes, and "none" for no rows', () => {
  assert.equal(htmlTable(['a<b', 'c'], [['<i>1</i>', '2'], { cells: ['3', '4'], className: 'bad' }]),
    '<table class="status"><thead><tr><th>a&lt;b</th><th>c</th></tr></thead>\n<tbody>\n' +
    '<tr><td><i>1</i></td><td>2</td></tr>\n<tr class="bad"><td>3</td><td>4</td></tr>\n</tbody></table>');
  assert.match(htmlTable(['a', 'b'], []), /<tr><td colspan="2" class="none">none<\/td><\/tr>/);
});

test('escapeHtml and plural', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(plural(1, 'instance'), '1 instance');
  assert.equal(plural(0, 'instance'), '0 instances');
  assert.equal(plural(3, 'instance'), '3 instances');
});
