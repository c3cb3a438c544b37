import type {
  ICredentialDataDecryptedObject,
  ICredentialTestRequest,
  ICredentialType,
  IHttpRequestOptions,
  INodeProperties,
} from 'n8n-workflow';

export class MetabotApi implements ICredentialType {
  name = 'metabotApi';

  displayName = 'Metabot API';

  icon = { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' } as const;

  documentationUrl = 'https://github.com/metabot-n8n/n8n-nodes-metabot';

  properties: INodeProperties[] = [
    {
      displayName: 'Server URL',
      name: 'serverUrl',
      type: 'string',
      default: 'http://localhost:3000/api/v1',
      placeholder: 'https://bots.example.com/api/v1',
      description: 'Base URL of the Metabot backend API, ending in /api/v1',
      required: true,
    },
    {
      displayName: 'Bot ID',
      name: 'botId',
      type: 'number',
      default: 1,
      description: 'The bot this credential acts for (metabot-backend bot list)',
      required: true,
    },
    {
      displayName: 'API Token',
      name: 'token',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description: 'A token from metabot-backend token create --bot <ID>',
      required: true,
    },
  ];

  // A function, not the generic form's '=Bearer {{$credentials.token}}': n8n 2.x evaluates that
  // expression in its sandbox on every request, a measurable share of a busy workflow's CPU.
  async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
    return { ...requestOptions, headers: { ...requestOptions.headers, Authorization: `Bearer ${String(credentials.token)}` } };
  }

  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.serverUrl.replace(/\\/$/, "")}}',
      url: '=/bots/{{$credentials.botId}}',
    },
  };
}
