// LTI Dynamic Registration's last step: tell the platform that opened this page that it may close it.
(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");
