// HubSpot's default property definitions, groups and deal pipeline, as a new portal has them.
#include "core/time_util.hpp"
#include "emulator/store.hpp"

namespace revlens::emulator {
namespace {

struct P {
  const char* name;
  const char* label;
  const char* type;
  const char* field_type;
  const char* group;
};

void Add(Portal& portal, ObjectType t, std::initializer_list<P> props, int64_t now) {
  for (const auto& p : props) {
    PropertyDef d;
    d.name = p.name;
    d.label = p.label;
    d.type = p.type;
    d.field_type = p.field_type;
    d.group_name = p.group;
    d.created_ms = d.updated_ms = now;
    if (d.name == "hs_object_id" || d.name == "createdate" || d.name == "hs_createdate" ||
        d.name == "lastmodifieddate" || d.name == "hs_lastmodifieddate")
      d.calculated = false, d.form_field = false;
    portal.Table(t).Props().Put(std::move(d));
  }
}

void Options(Portal& portal, ObjectType t, const char* prop, std::initializer_list<std::pair<const char*, const char*>> opts) {
  auto idx = portal.Table(t).Props().Find(prop);
  if (!idx) return;
  auto& def = portal.Table(t).Props().Def(*idx);
  int order = 0;
  for (const auto& [value, label] : opts) def.options.push_back(PropertyOption{label, value, "", order++, false});
}

}  // namespace

void InstallDefaultSchema(Portal& portal, int64_t now) {
  using T = ObjectType;
  const char* common_group[] = {"contactinformation", "companyinformation", "dealinformation", "call",
                                "email",              "meeting",            "note",            "task"};
  const char* common_label[] = {"Contact information", "Company information", "Deal information", "Call",
                                "Email",               "Meeting",             "Note",             "Task"};
  for (auto t : kAllObjectTypes) {
    auto& g = portal.Groups(t);
    g.push_back(PropertyGroup{common_group[static_cast<size_t>(t)], common_label[static_cast<size_t>(t)], 0, false});
    g.push_back(PropertyGroup{"revlens", "revlens", 1, false});
    Add(portal, t,
        {{"hs_object_id", "Record ID", "number", "number", common_group[static_cast<size_t>(t)]},
         {"hubspot_owner_id", "Owner", "enumeration", "select", common_group[static_cast<size_t>(t)]},
         {"hs_createdate", "Create date", "datetime", "date", common_group[static_cast<size_t>(t)]},
         {"hs_lastmodifieddate", "Last modified date", "datetime", "date", common_group[static_cast<size_t>(t)]}},
        now);
  }
  Add(portal, T::kContacts,
      {{"createdate", "Create Date", "datetime", "date", "contactinformation"},
       {"lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation"},
       {"email", "Email", "string", "text", "contactinformation"},
       {"firstname", "First Name", "string", "text", "contactinformation"},
       {"lastname", "Last Name", "string", "text", "contactinformation"},
       {"phone", "Phone Number", "string", "phonenumber", "contactinformation"},
       {"company", "Company Name", "string", "text", "contactinformation"},
       {"jobtitle", "Job Title", "string", "text", "contactinformation"},
       {"country", "Country/Region", "string", "text", "contactinformation"},
       {"state", "State/Region", "string", "text", "contactinformation"},
       {"city", "City", "string", "text", "contactinformation"},
       {"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation"},
       {"hs_lead_status", "Lead Status", "enumeration", "radio", "contactinformation"},
       {"associatedcompanyid", "Primary Associated Company ID", "number", "number", "contactinformation"},
       {"hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation"},
       {"hs_analytics_num_visits", "Number of Sessions", "number", "number", "analyticsinformation"},
       {"hs_analytics_num_page_views", "Number of Pageviews", "number", "number", "analyticsinformation"},
       {"num_conversion_events", "Number of Form Submissions", "number", "number", "conversioninformation"},
       {"hs_email_open", "Marketing emails opened", "number", "number", "emailinformation"},
       {"hs_email_click", "Marketing emails clicked", "number", "number", "emailinformation"},
       {"hs_merged_object_ids", "Merged Contact IDs", "enumeration", "checkbox", "contactinformation"},
       {"hs_lifecyclestage_subscriber_date", "Became a Subscriber Date", "datetime", "date", "contactinformation"},
       {"hs_lifecyclestage_lead_date", "Became a Lead Date", "datetime", "date", "contactinformation"},
       {"hs_lifecyclestage_marketingqualifiedlead_date", "Became a Marketing Qualified Lead Date", "datetime", "date",
        "contactinformation"},
       {"hs_lifecyclestage_salesqualifiedlead_date", "Became a Sales Qualified Lead Date", "datetime", "date",
        "contactinformation"},
       {"hs_lifecyclestage_opportunity_date", "Became an Opportunity Date", "datetime", "date", "contactinformation"},
       {"hs_lifecyclestage_customer_date", "Became a Customer Date", "datetime", "date", "contactinformation"},
       {"hs_lifecyclestage_evangelist_date", "Became an Evangelist Date", "datetime", "date", "contactinformation"},
       {"hs_lifecyclestage_other_date", "Became an Other Lifecycle Date", "datetime", "date", "contactinformation"}},
      now);
  portal.Groups(T::kContacts).push_back(PropertyGroup{"analyticsinformation", "Web analytics history", 2, false});
  portal.Groups(T::kContacts).push_back(PropertyGroup{"conversioninformation", "Conversion information", 3, false});
  portal.Groups(T::kContacts).push_back(PropertyGroup{"emailinformation", "Email information", 4, false});
  const std::initializer_list<std::pair<const char*, const char*>> lifecycle = {
      {"subscriber", "Subscriber"}, {"lead", "Lead"}, {"marketingqualifiedlead", "Marketing Qualified Lead"},
      {"salesqualifiedlead", "Sales Qualified Lead"}, {"opportunity", "Opportunity"}, {"customer", "Customer"},
      {"evangelist", "Evangelist"}, {"other", "Other"}};
  Options(portal, T::kContacts, "lifecyclestage", lifecycle);
  Options(portal, T::kContacts, "hs_analytics_source",
          {{"ORGANIC_SEARCH", "Organic Search"}, {"PAID_SEARCH", "Paid Search"}, {"EMAIL_MARKETING", "Email Marketing"},
           {"SOCIAL_MEDIA", "Organic Social"}, {"REFERRALS", "Referrals"}, {"OTHER_CAMPAIGNS", "Other Campaigns"},
           {"DIRECT_TRAFFIC", "Direct Traffic"}, {"OFFLINE", "Offline Sources"}, {"PAID_SOCIAL", "Paid Social"}});
  Options(portal, T::kContacts, "hs_lead_status",
          {{"NEW", "New"}, {"OPEN", "Open"}, {"IN_PROGRESS", "In Progress"}, {"OPEN_DEAL", "Open Deal"},
           {"UNQUALIFIED", "Unqualified"}, {"ATTEMPTED_TO_CONTACT", "Attempted to Contact"},
           {"CONNECTED", "Connected"}, {"BAD_TIMING", "Bad Timing"}});

  Add(portal, T::kCompanies,
      {{"createdate", "Create Date", "datetime", "date", "companyinformation"},
       {"name", "Name", "string", "text", "companyinformation"},
       {"domain", "Company Domain Name", "string", "text", "companyinformation"},
       {"industry", "Industry", "enumeration", "select", "companyinformation"},
       {"numberofemployees", "Number of Employees", "number", "number", "companyinformation"},
       {"annualrevenue", "Annual Revenue", "number", "number", "companyinformation"},
       {"country", "Country/Region", "string", "text", "companyinformation"},
       {"state", "State/Region", "string", "text", "companyinformation"},
       {"city", "City", "string", "text", "companyinformation"},
       {"type", "Type", "enumeration", "select", "companyinformation"},
       {"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation"},
       {"description", "Description", "string", "textarea", "companyinformation"}},
      now);
  Options(portal, T::kCompanies, "lifecyclestage", lifecycle);
  Options(portal, T::kCompanies, "type",
          {{"PROSPECT", "Prospect"}, {"PARTNER", "Partner"}, {"RESELLER", "Reseller"}, {"VENDOR", "Vendor"},
           {"OTHER", "Other"}});

  Add(portal, T::kDeals,
      {{"createdate", "Create Date", "datetime", "date", "dealinformation"},
       {"dealname", "Deal Name", "string", "text", "dealinformation"},
       {"amount", "Amount", "number", "number", "dealinformation"},
       {"dealstage", "Deal Stage", "enumeration", "radio", "dealinformation"},
       {"pipeline", "Pipeline", "enumeration", "select", "dealinformation"},
       {"closedate", "Close Date", "datetime", "date", "dealinformation"},
       {"dealtype", "Deal Type", "enumeration", "radio", "dealinformation"},
       {"hs_manual_forecast_category", "Forecast category", "enumeration", "select", "dealinformation"},
       {"closed_lost_reason", "Closed Lost Reason", "string", "textarea", "dealinformation"},
       {"closed_won_reason", "Closed Won Reason", "string", "textarea", "dealinformation"},
       {"hs_deal_stage_probability", "Deal probability", "number", "number", "dealinformation"},
       {"hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", "dealinformation"},
       {"hs_is_closed_won", "Is closed won", "bool", "booleancheckbox", "dealinformation"}},
      now);
  Options(portal, T::kDeals, "dealtype", {{"newbusiness", "New Business"}, {"existingbusiness", "Existing Business"}});
  Options(portal, T::kDeals, "hs_manual_forecast_category",
          {{"OMIT", "Not forecasted"}, {"PIPELINE", "Pipeline"}, {"BEST_CASE", "Best case"}, {"COMMIT", "Commit"},
           {"CLOSED", "Closed won"}});

  Add(portal, T::kCalls,
      {{"hs_timestamp", "Activity date", "datetime", "date", "call"},
       {"hs_call_title", "Call Title", "string", "text", "call"},
       {"hs_call_body", "Call notes", "string", "html", "call"},
       {"hs_call_direction", "Call direction", "enumeration", "select", "call"},
       {"hs_call_disposition", "Call outcome", "enumeration", "select", "call"},
       {"hs_call_duration", "Call duration", "number", "number", "call"},
       {"hs_call_status", "Call status", "enumeration", "select", "call"}},
      now);
  Add(portal, T::kEmails,
      {{"hs_timestamp", "Activity date", "datetime", "date", "email"},
       {"hs_email_direction", "Email direction", "enumeration", "select", "email"},
       {"hs_email_status", "Email send status", "enumeration", "select", "email"},
       {"hs_email_subject", "Email subject", "string", "text", "email"},
       {"hs_email_text", "Email body", "string", "textarea", "email"}},
      now);
  Options(portal, T::kEmails, "hs_email_direction",
          {{"EMAIL", "Sent by owner"}, {"INCOMING_EMAIL", "Reply from contact"}, {"FORWARDED_EMAIL", "Forwarded"}});
  Add(portal, T::kMeetings,
      {{"hs_timestamp", "Activity date", "datetime", "date", "meeting"},
       {"hs_meeting_title", "Meeting name", "string", "text", "meeting"},
       {"hs_meeting_body", "Meeting description", "string", "html", "meeting"},
       {"hs_internal_meeting_notes", "Internal notes", "string", "html", "meeting"},
       {"hs_meeting_start_time", "Start time", "datetime", "date", "meeting"},
       {"hs_meeting_end_time", "End time", "datetime", "date", "meeting"},
       {"hs_meeting_outcome", "Meeting outcome", "enumeration", "select", "meeting"}},
      now);
  Options(portal, T::kMeetings, "hs_meeting_outcome",
          {{"SCHEDULED", "Scheduled"}, {"COMPLETED", "Completed"}, {"RESCHEDULED", "Rescheduled"},
           {"NO_SHOW", "No Show"}, {"CANCELED", "Canceled"}});
  Add(portal, T::kNotes,
      {{"hs_timestamp", "Activity date", "datetime", "date", "note"},
       {"hs_note_body", "Note body", "string", "html", "note"}},
      now);
  Add(portal, T::kTasks,
      {{"hs_timestamp", "Due date", "datetime", "date", "task"},
       {"hs_task_subject", "Task title", "string", "text", "task"},
       {"hs_task_body", "Notes", "string", "html", "task"},
       {"hs_task_status", "Task status", "enumeration", "select", "task"},
       {"hs_task_priority", "Priority", "enumeration", "select", "task"},
       {"hs_task_type", "Task type", "enumeration", "select", "task"}},
      now);
  Options(portal, T::kTasks, "hs_task_status", {{"NOT_STARTED", "Not started"}, {"COMPLETED", "Completed"}});
  Options(portal, T::kTasks, "hs_task_priority", {{"LOW", "Low"}, {"MEDIUM", "Medium"}, {"HIGH", "High"}});
  Options(portal, T::kTasks, "hs_task_type", {{"EMAIL", "Email"}, {"CALL", "Call"}, {"TODO", "To-do"}});

  // HubSpot's default sales pipeline.
  Pipeline p;
  p.id = "default";
  p.label = "Sales Pipeline";
  p.created_ms = p.updated_ms = now;
  const std::tuple<const char*, const char*, double, bool> stages[] = {
      {"appointmentscheduled", "Appointment Scheduled", 0.2, false},
      {"qualifiedtobuy", "Qualified To Buy", 0.4, false},
      {"presentationscheduled", "Presentation Scheduled", 0.6, false},
      {"decisionmakerboughtin", "Decision Maker Bought-In", 0.8, false},
      {"contractsent", "Contract Sent", 0.9, false},
      {"closedwon", "Closed Won", 1.0, true},
      {"closedlost", "Closed Lost", 0.0, true}};
  int order = 0;
  for (const auto& [id, label, prob, closed] : stages) {
    p.stages.push_back(PipelineStage{id, label, order++, prob, closed, false, now, now});
  }
  portal.deal_pipelines.push_back(std::move(p));
  RegisterPipelineStageProperties(portal, now);
}

void RegisterPipelineStageProperties(Portal& portal, int64_t now) {
  auto& props = portal.Table(ObjectType::kDeals).Props();
  for (const auto& pl : portal.deal_pipelines) {
    for (const auto& st : pl.stages) {
      for (const char* prefix : {"hs_date_entered_", "hs_date_exited_"}) {
        const std::string name = prefix + st.id;
        if (props.Find(name)) continue;
        PropertyDef d;
        d.name = name;
        d.label = std::string(prefix[8] == 'e' && prefix[9] == 'n' ? "Date entered \"" : "Date exited \"") + st.label +
                  " (" + pl.label + ")\"";
        d.type = "datetime";
        d.field_type = "date";
        d.group_name = "dealstages";
        d.calculated = true;
        d.created_ms = d.updated_ms = now;
        props.Put(std::move(d));
      }
    }
  }
}

const std::vector<std::string>& DefaultReturnedProperties(ObjectType t) {
  static const std::vector<std::string> contacts = {"createdate", "email",           "firstname",
                                                    "hs_object_id", "lastmodifieddate", "lastname"};
  static const std::vector<std::string> companies = {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id",
                                                     "name"};
  static const std::vector<std::string> deals = {"amount",   "closedate",           "createdate",   "dealname",
                                                 "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"};
  static const std::vector<std::string> engagements = {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"};
  switch (t) {
    case ObjectType::kContacts: return contacts;
    case ObjectType::kCompanies: return companies;
    case ObjectType::kDeals: return deals;
    default: return engagements;
  }
}

}  // namespace revlens::emulator
