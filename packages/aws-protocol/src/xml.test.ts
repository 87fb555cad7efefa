import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXmlDocument } from './xml.js';

test('a document type declaration makes the document unreadable, whatever it declares', () => {
  for (const doc of [
    '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
    '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    '<!-- c --><!doctype a><a/>',
    '\uFEFF<!DOCTYPE a><a/>',
  ]) {
    assert.equal(parseXmlDocument(doc), undefined, doc);
  }
});

test('predefined entities and character references decode once; CDATA stays as written', () => {
  const root = parseXmlDocument('<a k="&quot;&#x41;">x&amp;y&#60;&#x1F600;&amp;#60;<![CDATA[&amp;<b>]]></a>')!;
  assert.equal(root.text, 'x&y<\u{1F600}&#60;&amp;<b>');
  assert.equal(root.attributes.k, '"A');
});

test('undeclared entities and references to characters XML forbids are not well-formed', () => {
  for (const doc of ['<a>&foo;</a>', '<a>&#0;</a>', '<a>&#xD800;</a>', '<a>&#xFFFFFFFF;</a>', '<a>&#99999999;</a>', '<a b="&nope;"/>']) {
    assert.equal(parseXmlDocument(doc), undefined, doc);
  }
});

test('nesting deeper than the parser allows is not well-formed rather than a crash', () => {
  assert.equal(parseXmlDocument(`${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`), undefined);
});
