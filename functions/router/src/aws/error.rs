//! What an AWS call's failure was, and whether trying again can help.

use super::Service;

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// No answer: DNS, connection, TLS, timeout.
    #[error("{service}: no answer: {message}")]
    Unreachable {
        service: &'static str,
        message: String,
    },
    /// AWS answered with an error.
    #[error("{service}: HTTP {status} {code}: {message}")]
    Refused {
        service: &'static str,
        status: u16,
        /// The error's name, e.g. `ThrottlingException`, `MessageRejected`.
        code: String,
        message: String,
    },
    /// The request could not be made (signing, encoding): a bug or a bad setting.
    #[error("{service}: {message}")]
    Local {
        service: &'static str,
        message: String,
    },
}

/// Error names that pass with time: throttling and quotas, credentials that
/// expired or a clock that drifted, a paused account, AWS's own trouble.
const RETRYABLE_CODES: [&str; 16] = [
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "SendingPausedException",
    "AccountSendingPausedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "RequestTimeTooSkewed",
    "InvalidSignatureException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalServerError",
];

impl AwsError {
    pub(crate) fn local(service: Service, e: impl std::fmt::Display) -> Self {
        AwsError::Local {
            service: service.name(),
            message: e.to_string(),
        }
    }

    /// From an error answer: the name comes from the `x-amzn-ErrorType`
    /// header (REST APIs) or the body's `__type` (JSON APIs), namespace cut off.
    pub(crate) fn from_response(
        service: Service,
        status: u16,
        error_type: Option<&str>,
        body: &str,
    ) -> Self {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let raw_code = error_type
            .map(str::to_string)
            .or_else(|| json["__type"].as_str().map(str::to_string))
            .or_else(|| json["code"].as_str().map(str::to_string))
            .unwrap_or_default();
        let code = raw_code
            .split(':')
            .next()
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap_or("")
            .to_string();
        let message = json["message"]
            .as_str()
            .or_else(|| json["Message"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| body.chars().take(200).collect());
        AwsError::Refused {
            service: service.name(),
            status,
            code: if code.is_empty() {
                format!("HTTP{status}")
            } else {
                code
            },
            message: crate::log::without_addresses(&message),
        }
    }

    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            AwsError::Unreachable { .. } => true,
            AwsError::Local { .. } => false,
            AwsError::Refused { status, code, .. } => {
                *status == 429
                    || *status >= 500
                    // An expired session token or a skewed clock: 403.
                    || *status == 403
                    || RETRYABLE_CODES.contains(&code.as_str())
            }
        }
    }

    /// The error's name, for logs and records.
    pub fn code(&self) -> &str {
        match self {
            AwsError::Unreachable { .. } => "Unreachable",
            AwsError::Local { .. } => "Local",
            AwsError::Refused { code, .. } => code,
        }
    }

    /// A DynamoDB conditional write found the item already there.
    pub fn is_condition_failed(&self) -> bool {
        self.code() == "ConditionalCheckFailedException"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_decide_what_is_retried() {
        let throttled = AwsError::from_response(
            Service::Ses,
            400,
            Some("TooManyRequestsException:http://internal.amazon.com/coral/com.amazon.coral/"),
            r#"{"message":"Maximum sending rate exceeded."}"#,
        );
        assert_eq!(throttled.code(), "TooManyRequestsException");
        assert!(throttled.is_retryable());
        let quota =
            AwsError::from_response(Service::Ses, 400, Some("LimitExceededException"), "{}");
        assert!(quota.is_retryable());
        let paused =
            AwsError::from_response(Service::Ses, 400, Some("SendingPausedException"), "{}");
        assert!(paused.is_retryable());
        let expired = AwsError::from_response(
            Service::DynamoDb,
            400,
            None,
            r#"{"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"}"#,
        );
        assert_eq!(expired.code(), "ExpiredTokenException");
        assert!(expired.is_retryable());
        let rejected = AwsError::from_response(
            Service::Ses,
            400,
            Some("MessageRejected"),
            r#"{"message":"Email address is not verified: vera@visitor.example"}"#,
        );
        assert!(!rejected.is_retryable());
        assert!(!rejected.to_string().contains("vera@"), "{rejected}");
        let condition = AwsError::from_response(
            Service::DynamoDb,
            400,
            None,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#,
        );
        assert!(condition.is_condition_failed());
        assert!(!condition.is_retryable());
        let server = AwsError::from_response(Service::Sqs, 503, None, "");
        assert!(server.is_retryable());
        assert_eq!(server.code(), "HTTP503");
    }
}
