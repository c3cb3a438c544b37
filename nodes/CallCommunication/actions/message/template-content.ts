import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { ApiBody } from '../../../shared/transport';

type MessageBody = ApiBody<'sendMessage'>;
export type Button = NonNullable<MessageBody['buttons']>[number][number];
type Variants = NonNullable<MessageBody['variants']>;

interface VariantInput {
	language: string;
	text: string;
	buttonLabels?: string;
}

/** What the message says: a library reference, or the text written in the node with its language variants. */
export type TemplateContent = Pick<MessageBody, 'text' | 'template' | 'variants'>;

/** The default buttons with this language's labels, in order; the data and URLs stay the same. */
function translatedButtons(this: IExecuteFunctions, variant: VariantInput, buttons: Button[][], itemIndex: number): Button[][] | undefined {
	const labels = (variant.buttonLabels ?? '').split('\n').map((label) => label.trim()).filter(Boolean);
	if (labels.length === 0) return undefined;
	const count = buttons.flat().length;
	if (labels.length !== count) {
		throw new NodeOperationError(this.getNode(), `Language variant "${variant.language}" has ${labels.length} button labels for ${count} buttons`, {
			itemIndex,
			description: 'Give one label per line for every button, in the order of the buttons, or none to keep the labels as they are',
		});
	}
	let next = 0;
	return buttons.map((row) => row.map((button) => ({ ...button, text: labels[next++] })));
}

function readVariants(this: IExecuteFunctions, buttons: Button[][], itemIndex: number): Variants | undefined {
	const collection = this.getNodeParameter('variants', itemIndex, {}) as { variant?: VariantInput[] };
	const variants: Variants = {};
	for (const variant of collection.variant ?? []) {
		const language = variant.language.trim().toLowerCase();
		if (!language) continue;
		const translated = translatedButtons.call(this, variant, buttons, itemIndex);
		variants[language] = translated ? { text: variant.text, buttons: translated } : { text: variant.text };
	}
	return Object.keys(variants).length > 0 ? variants : undefined;
}

export function readTemplateContent(this: IExecuteFunctions, buttons: Button[][], itemIndex: number): TemplateContent {
	if (this.getNodeParameter('templateSource', itemIndex, 'text') === 'library') {
		const name = this.getNodeParameter('templateName', itemIndex) as string;
		const version = this.getNodeParameter('templateVersion', itemIndex, 0) as number;
		return { template: version > 0 ? { name, version } : { name } };
	}
	const variants = readVariants.call(this, buttons, itemIndex);
	const text = this.getNodeParameter('text', itemIndex) as string;
	return variants ? { text, variants } : { text };
}
