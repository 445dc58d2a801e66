//! The few DynamoDB calls the store needs, and the attribute-value
//! encoding (`{"S": "text"}`, `{"N": "12"}`) in both directions.

use serde_json::{Map, Value, json};

use super::{AwsClient, AwsError, Service};

/// The table's partition key attribute.
pub const KEY: &str = "key";

/// A string attribute.
pub fn s(text: &str) -> Value {
    json!({ "S": text })
}

/// A number attribute.
pub fn n(number: i64) -> Value {
    json!({ "N": number.to_string() })
}

/// An item's string attribute.
pub fn get_s<'a>(item: &'a Value, name: &str) -> Option<&'a str> {
    item[name]["S"].as_str()
}

/// An item's number attribute.
pub fn get_n(item: &Value, name: &str) -> Option<i64> {
    item[name]["N"].as_str().and_then(|v| v.parse().ok())
}

/// An expression with the names and values it uses (DynamoDB refuses
/// names or values an expression does not use).
pub struct Expression<'a> {
    pub text: &'a str,
    pub names: &'a [(&'a str, &'a str)],
    pub values: Value,
}

impl Expression<'_> {
    fn add_to(&self, input: &mut Value, field: &str) {
        input[field] = json!(self.text);
        if !self.names.is_empty() {
            let names: Map<String, Value> = self
                .names
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            merge(input, "ExpressionAttributeNames", names);
        }
        if let Some(values) = self.values.as_object().filter(|v| !v.is_empty()) {
            merge(input, "ExpressionAttributeValues", values.clone());
        }
    }
}

fn merge(input: &mut Value, field: &str, entries: Map<String, Value>) {
    match input[field].as_object_mut() {
        Some(existing) => existing.extend(entries),
        None => input[field] = Value::Object(entries),
    }
}

/// Runs a conditional call; `Ok(false)` when the condition did not hold.
fn conditional(client: &AwsClient, operation: &str, input: &Value) -> Result<bool, AwsError> {
    match client.json_call(Service::DynamoDb, operation, input) {
        Ok(_) => Ok(true),
        Err(e) if e.is_condition_failed() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `item` if `condition` holds.
pub fn put_if(
    client: &AwsClient,
    table: &str,
    item: Map<String, Value>,
    condition: &Expression<'_>,
) -> Result<bool, AwsError> {
    let mut input = json!({ "TableName": table, "Item": item });
    condition.add_to(&mut input, "ConditionExpression");
    conditional(client, "PutItem", &input)
}

/// The item under `key`, read consistently (a write a moment ago is seen).
pub fn get(client: &AwsClient, table: &str, key: &str) -> Result<Option<Value>, AwsError> {
    let answer = client.json_call(
        Service::DynamoDb,
        "GetItem",
        &json!({ "TableName": table, "Key": { KEY: s(key) }, "ConsistentRead": true }),
    )?;
    Ok(answer.get("Item").filter(|i| i.is_object()).cloned())
}

/// Updates the item under `key` with `update` if `condition` holds.
pub fn update_if(
    client: &AwsClient,
    table: &str,
    key: &str,
    update: &Expression<'_>,
    condition: &Expression<'_>,
) -> Result<bool, AwsError> {
    let mut input = json!({ "TableName": table, "Key": { KEY: s(key) } });
    update.add_to(&mut input, "UpdateExpression");
    condition.add_to(&mut input, "ConditionExpression");
    conditional(client, "UpdateItem", &input)
}

/// Deletes the item under `key` if `condition` holds.
pub fn delete_if(
    client: &AwsClient,
    table: &str,
    key: &str,
    condition: &Expression<'_>,
) -> Result<bool, AwsError> {
    let mut input = json!({ "TableName": table, "Key": { KEY: s(key) } });
    condition.add_to(&mut input, "ConditionExpression");
    conditional(client, "DeleteItem", &input)
}

/// One page of a consistent `Scan` of the items `filter` picks, from
/// `start` (the last page's `LastEvaluatedKey`): the items, and where the
/// next page starts (`None` after the last).
pub fn scan_page(
    client: &AwsClient,
    table: &str,
    filter: &Expression<'_>,
    start: Option<Value>,
) -> Result<(Vec<Value>, Option<Value>), AwsError> {
    let mut input = json!({ "TableName": table, "ConsistentRead": true });
    filter.add_to(&mut input, "FilterExpression");
    if let Some(start) = start {
        input["ExclusiveStartKey"] = start;
    }
    let answer = client.json_call(Service::DynamoDb, "Scan", &input)?;
    let items = answer["Items"].as_array().cloned().unwrap_or_default();
    let next = answer
        .get("LastEvaluatedKey")
        .filter(|k| k.as_object().is_some_and(|o| !o.is_empty()))
        .cloned();
    Ok((items, next))
}

/// Every item `filter` picks: [`scan_page`] until the last page.
pub fn scan(
    client: &AwsClient,
    table: &str,
    filter: &Expression<'_>,
) -> Result<Vec<Value>, AwsError> {
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let (items, next) = scan_page(client, table, filter, start)?;
        all.extend(items);
        match next {
            Some(next) => start = Some(next),
            None => return Ok(all),
        }
    }
}
