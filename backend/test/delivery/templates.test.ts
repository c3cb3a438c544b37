import { type IDataObject, Workflow } from 'n8n-workflow';
import { delimitersOf } from '../../src/delivery/liquid';
import { compileTemplate, literalText, renderTemplate, type TemplateScope, unknownPlaceholders } from '../../src/delivery/templates';

const scope = (lead: Partial<TemplateScope['lead']> = {}, params: Record<string, unknown> = {}): TemplateScope => ({
  lead: { id: 'lead_1', channel: 'telegram', chatId: '1', attributes: {}, firstName: 'Ann', ...lead },
  user: { userId: 'u1', profile: {} },
  params,
});
const render = (text: string, s = scope()) => renderTemplate(compileTemplate({ text }), s).text;

/** What n8n makes of a field in expression mode: its own `{{ }}` evaluated, everything else left as it is. */
function n8nExpression(field: string, json: IDataObject): string {
  const nodeTypes = { getByName: () => ({ description: { properties: [] } }), getByNameAndVersion: () => ({ description: { properties: [] } }), getKnownTypes: () => ({}) };
  const workflow = new Workflow({ nodes: [{ id: '1', name: 'Send', type: 'x.send', typeVersion: 1, position: [0, 0], parameters: {} }], connections: {}, active: false, nodeTypes: nodeTypes as never });
  return workflow.expression.getParameterValue(field, null, 0, 0, 'Send', [{ json }], 'manual', {}) as string;
}

describe('templates: two delimiter sets, variants by language, unknown placeholders', () => {
  it('renders a text written in an n8n expression field: the workflow value by n8n, the per-recipient one by the backend', () => {
    const field = '=Order {{ $json.orderId }} is ready, [[ lead.firstName ]]![% if lead.language == "ru" %] (ru)[% endif %]';
    const text = n8nExpression(field, { orderId: 42 });
    expect(text).toBe('Order 42 is ready, [[ lead.firstName ]]![% if lead.language == "ru" %] (ru)[% endif %]');
    expect(render(text, scope({ language: 'ru' }))).toBe('Order 42 is ready, Ann! (ru)');
  });

  it('keeps {{ }} working in fixed mode, and reads a text with [[ ]] by the square delimiters only', () => {
    expect(render('Hi {{ lead.firstName }}{% if true %}!{% endif %}')).toBe('Hi Ann!');
    expect(delimitersOf('Hi {{ lead.firstName }}')).toBe('curly');
    expect(delimitersOf('Hi [[ lead.firstName ]]')).toBe('square');
    // A workflow value that happens to contain braces stays literal once the text uses [[ ]].
    expect(render('Hi [[ lead.firstName ]], code {{ x }}')).toBe('Hi Ann, code {{ x }}');
    // A lone bracket (a Markdown link) does not switch the delimiters.
    expect(render('[site](https://example.com) {{ lead.firstName }}')).toBe('[site](https://example.com) Ann');
  });

  it('applies both delimiter sets to button labels', () => {
    const template = compileTemplate({ text: 'x', buttons: [[{ text: 'For [[ lead.firstName ]]', data: 'a' }, { text: 'For {{ lead.firstName }}', data: 'b' }]] });
    expect(renderTemplate(template, scope()).buttons).toEqual([[{ text: 'For Ann', data: 'a' }, { text: 'For Ann', data: 'b' }]]);
  });

  it('literal text renders as itself whatever delimiters it contains', () => {
    const text = 'Reason: {{ a }} [[ b ]] [% if c %] {% if d %}';
    expect(render(literalText(text))).toBe(text);
  });

  it('tells where a template is broken, in plain words', () => {
    expect(() => compileTemplate({ text: 'Hello\n[[ lead.firstName ' })).toThrow('text (line 2, column 1): the placeholder "[[ lead.firstName " is not closed');
    expect(() => compileTemplate({ text: 'x', buttons: [[{ text: '{{ a | nope }}' }]] })).toThrow('buttons.0.0.text (line 1, column 1): there is no filter "nope"');
    expect(() => compileTemplate({ text: 'x', variants: { ru: { text: '[% iff %]' } } })).toThrow('variants.ru.text (line 1, column 1): there is no tag "iff"');
  });

  it('chooses the variant of the lead language, then the language attribute, then the primary subtag, else the default', () => {
    const template = compileTemplate({ text: 'Hello', variants: { ru: { text: 'Привет [[ lead.firstName ]]' }, pt: { text: 'Olá' }, 'pt-br': { text: 'Oi' } } });
    const textFor = (lead: Partial<TemplateScope['lead']>) => renderTemplate(template, scope(lead));
    expect(textFor({ language: 'ru' })).toEqual({ text: 'Привет Ann', language: 'ru' });
    expect(textFor({ language: 'pt-BR' }).text).toBe('Oi');
    expect(textFor({ language: 'pt-pt' }).text).toBe('Olá');
    expect(textFor({ attributes: { language: 'ru' } }).text).toBe('Привет Ann');
    expect(textFor({ language: 'en', attributes: { language: 'ru' } }).text).toBe('Hello');
    expect(textFor({})).toEqual({ text: 'Hello' });
  });

  it('lists every placeholder with no value for this person, with its position', () => {
    const template = compileTemplate({ text: 'Hi [[ lead.firstName ]] [[ lead.lastname ]]\n[[ params.items.size ]] [[ params.missing ]] [% for i in params.items %][[ i.name ]][% endfor %]' });
    expect(unknownPlaceholders(template, scope({}, { items: [{ name: 'a' }] }))).toEqual([
      { path: 'text', placeholder: 'lead.lastname', line: 1, column: 28, message: '"lead.lastname" has no value for this person' },
      { path: 'text', placeholder: 'params.missing', line: 2, column: 28, message: '"params.missing" has no value for this person' },
    ]);
  });
});
