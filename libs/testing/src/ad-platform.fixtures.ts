/**
 * Samples of what the ad platforms send and answer, written from their published documentation
 * (Meta Webhooks and Lead Ads retrieval, Google Ads "Webhook integration for lead form
 * extensions", LinkedIn Lead Sync and webhook validation); ids and people are made up.
 */

/** A Meta Page webhook notification for one new lead (`object: page`, field `leadgen`). */
export function metaLeadgenNotification(leadgenId: string, createdTime = 1_764_590_400) {
  return {
    object: 'page',
    entry: [
      {
        id: '110045678901234',
        time: createdTime,
        changes: [
          {
            field: 'leadgen',
            value: {
              leadgen_id: leadgenId,
              page_id: '110045678901234',
              form_id: '2044556677889900',
              ad_id: '23851234567890123',
              adgroup_id: '23851234567890999',
              created_time: createdTime,
            },
          },
        ],
      },
    ],
  };
}

/** The Graph API's answer to `GET /v21.0/<leadgen_id>`: the lead's answers in field_data. */
export function metaGraphLead(leadgenId: string, email = 'mara.lindqvist@example.com') {
  return {
    id: leadgenId,
    created_time: '2026-12-01T12:00:00+0000',
    ad_id: '23851234567890123',
    form_id: '2044556677889900',
    field_data: [
      { name: 'full_name', values: ['Mara Lindqvist'] },
      { name: 'email', values: [email] },
      { name: 'phone_number', values: ['+46701234567'] },
      { name: 'company_name', values: ['Nordvik AB'] },
      { name: 'country', values: ['SE'] },
      { name: 'how_many_seats_do_you_need?', values: ['50-100'] },
    ],
  };
}

/** A Google Ads lead form webhook POST: every answer in user_column_data. */
export function googleLeadWebhook(leadId: string, googleKey: string, isTest = false) {
  return {
    lead_id: leadId,
    api_version: '1.0',
    form_id: 40000000001,
    campaign_id: 20000000002,
    adgroup_id: 30000000003,
    creative_id: 50000000004,
    google_key: googleKey,
    gcl_id: 'EAIaIQobChMI-sample-gclid',
    is_test: isTest,
    lead_submit_time: '2026-12-01T12:00:00Z',
    user_column_data: [
      { column_name: 'Full Name', string_value: 'Tomás Ferreira', column_id: 'FULL_NAME' },
      {
        column_name: 'User Email',
        string_value: 'tomas.ferreira@ferreira-lda.pt',
        column_id: 'EMAIL',
      },
      { column_name: 'User Phone', string_value: '+351912345678', column_id: 'PHONE_NUMBER' },
      { column_name: 'Company Name', string_value: 'Ferreira Lda', column_id: 'COMPANY_NAME' },
      { column_name: 'Country', string_value: 'PT', column_id: 'COUNTRY' },
      { column_name: 'Which plan?', string_value: 'Business', column_id: 'plan_choice' },
    ],
  };
}

/** A LinkedIn lead notification (Lead Sync webhook) for a new sponsored lead. */
export function linkedinLeadNotification(responseId: string) {
  return {
    type: 'LEAD_ACTION',
    leadAction: 'CREATED',
    leadType: 'SPONSORED',
    leadGenFormResponse: `urn:li:leadGenFormResponse:${responseId}`,
    leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7788,1)',
    owner: { sponsoredAccount: 'urn:li:sponsoredAccount:5123456' },
    associatedEntity: { associatedCreative: 'urn:li:sponsoredCreative:9123456' },
    occurredAt: 1_764_590_400_000,
  };
}

/** `GET /rest/leadFormResponses/<id>`: the answers by question id. */
export function linkedinFormResponse(responseId: string, email = 'ines.dubois@atelier-dubois.fr') {
  return {
    id: responseId,
    leadType: 'SPONSORED',
    testLead: false,
    submittedAt: 1_764_590_400_000,
    versionedLeadGenFormUrn: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7788,1)',
    owner: { sponsoredAccount: 'urn:li:sponsoredAccount:5123456' },
    leadMetadata: { sponsoredLeadMetadata: { campaign: 'urn:li:sponsoredCampaign:612345' } },
    associatedEntity: { associatedCreative: 'urn:li:sponsoredCreative:9123456' },
    formResponse: {
      answers: [
        { questionId: 1, answerDetails: { textQuestionAnswer: { answer: 'Inès' } } },
        { questionId: 2, answerDetails: { textQuestionAnswer: { answer: 'Dubois' } } },
        { questionId: 3, answerDetails: { textQuestionAnswer: { answer: email } } },
        { questionId: 4, answerDetails: { textQuestionAnswer: { answer: 'Atelier Dubois SAS' } } },
        { questionId: 5, answerDetails: { textQuestionAnswer: { answer: '51-200' } } },
        { questionId: 6, answerDetails: { textQuestionAnswer: { answer: 'Q1 2027' } } },
      ],
    },
  };
}

/** `GET /rest/leadForms/7788`: the form's questions, standard ones with their predefinedField. */
export function linkedinLeadForm() {
  return {
    id: 7788,
    name: 'Demo request',
    content: {
      questions: [
        { questionId: 1, name: 'firstName', predefinedField: 'FIRST_NAME' },
        { questionId: 2, name: 'lastName', predefinedField: 'LAST_NAME' },
        { questionId: 3, name: 'email', predefinedField: 'EMAIL' },
        { questionId: 4, name: 'company', predefinedField: 'COMPANY_NAME' },
        { questionId: 5, name: 'companySize', predefinedField: 'COMPANY_SIZE' },
        { questionId: 6, name: 'timeline', question: 'When do you plan to buy?' },
      ],
    },
  };
}
